# Two commands do all the set-up on a fresh machine: `make serve` and `make test`.
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := app

$(BIN)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

install: $(BIN)/.installed

# Serve the app with demo data on http://127.0.0.1:8000 (gunicorn, 2 workers).
serve: install
	$(BIN)/flask init-db
	$(BIN)/flask seed-demo
	$(BIN)/gunicorn --workers 2 --bind 127.0.0.1:8000 --access-logfile - app:app

# The whole test suite, browser tests included (installs Debian's Chromium if missing).
test: install
	scripts/system-deps.sh
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

# Load test over loopback; not part of `make test`.
bench: install
	scripts/system-deps.sh bench
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

.PHONY: install serve test bench
