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

# Serve the app with demo data on http://127.0.0.1:8000 (gunicorn, 2 workers), in demo mode.
# `make serve DEMO_CLOCK=2026-12-06T23:30` starts the app's clock at that moment (Asia/Shanghai unless it names an
# offset) and lets it run with real seconds: a night played by day. Seeding and every worker (a restarted one too)
# share one clock: it stood at DEMO_CLOCK when `make serve` began. BIND=127.0.0.1:8001 serves on another port.
BIND ?= 127.0.0.1:8000
serve: export HOSPITALITY_DEMO := 1
serve: export DEMO_CLOCK := $(DEMO_CLOCK)
serve: export DEMO_CLOCK_SET_AT := $(shell date +%s)
serve: install
	$(BIN)/flask init-db
	$(BIN)/flask seed-demo
	$(BIN)/flask alerts-worker & trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 2 --bind $(BIND) --access-logfile - app:app

# The whole test suite, browser tests included (installs Debian's Chromium if missing), in one xdist worker per
# core; the browser tests all go to one worker (tests/conftest.py). PYTEST_ARGS="-n 0" runs it in one process.
test: install
	scripts/system-deps.sh
	$(BIN)/ruff check .
	$(BIN)/pytest -n auto --dist loadgroup $(PYTEST_ARGS)

# Load test over loopback; not part of `make test`.
bench: install
	scripts/system-deps.sh bench
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# The weak-network budget in Chromium (throttled phone: first load, repeat visit, a tap, an offline count sent);
# not part of `make test`. BENCH_NETWORK_ARGS="--runs 10 --strict".
bench-network: install
	scripts/system-deps.sh
	$(BIN)/python scripts/bench_network.py $(BENCH_NETWORK_ARGS)

.PHONY: install serve test bench bench-network

# Re-extract the UI strings, update the zh_Hans and en catalogs, compile the .mo files.
# New zh_Hans entries come out empty: translate them in
# hospitality/translations/zh_Hans/LC_MESSAGES/messages.po, then run it again.
# (--ignore-dirs '.*' so that templates in _fragments/ and _macros/ are scanned too.)
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ptext:1c,2 -k lazy_pgettext:1c,2 --ignore-dirs '.*' --no-wrap --sort-by-file \
		-o hospitality/translations/messages.pot hospitality
	$(BIN)/pybabel update -i hospitality/translations/messages.pot -d hospitality/translations \
		--no-wrap --ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile --statistics -d hospitality/translations

.PHONY: translations
