"""The layout the README describes holds: thin routes, one name for the read side, shared pieces at the top."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "hospitality"
PACKAGES = sorted(p for p in ROOT.iterdir() if (p / "routes.py").exists())
ROUTE_MODULES = [p for pkg in PACKAGES for p in pkg.glob("*routes.py")]
DATABASE_CALL = re.compile(r"\bdb\.session\b|\bselect\(|\bselect_rows\(|\.scalars?\(|\.execute\(")
PRIVATE_NAMES = re.compile(r"\b_cv_app\b|\b_flask_babel\b|\b_check_request_limit\b|\bg\.csrf_token\b")


def _python_files():
    return [p for p in ROOT.rglob("*.py")]


def test_route_modules_make_no_database_calls():
    """Views parse input, call one service or read, and render: the database is the services' and reads'."""
    assert len(ROUTE_MODULES) >= 11
    found = [f"{p.relative_to(ROOT)}:{n}" for p in ROUTE_MODULES
             for n, line in enumerate(p.read_text().splitlines(), 1) if DATABASE_CALL.search(line)]
    assert not found


def test_no_capability_imports_another_ones_routes():
    """What several capabilities share lives at the top (forms.py, access.py…), never in one's routes.py."""
    found = [f"{p.relative_to(ROOT)}:{n}" for p in _python_files()
             for n, line in enumerate(p.read_text().splitlines(), 1)
             if re.search(r"from \.\.\w+\.\w*routes import|from \.\.\w+ import \w*routes", line)]
    assert not found


def test_the_read_side_has_one_name():
    """A capability's reads are reads.py (or a reads/ package), never queries.py or reports.py."""
    assert not [str(p.relative_to(ROOT)) for pkg in PACKAGES for name in ("queries.py", "reports.py")
                if (p := pkg / name).exists()]
    assert sum((pkg / "reads.py").exists() or (pkg / "reads").is_dir() for pkg in PACKAGES) >= 9


def test_private_library_names_only_in_internals():
    """Flask's, Flask-Babel's, Flask-Limiter's and Flask-WTF's private names are used in internals.py alone."""
    found = [f"{p.relative_to(ROOT)}:{n}" for p in _python_files() if p.name != "internals.py"
             for n, line in enumerate(p.read_text().splitlines(), 1) if PRIVATE_NAMES.search(line)]
    assert not found


def test_modules_stay_readable():
    """No module grows far past ~400 lines: split it along actions and reads (CTFd's lesson)."""
    assert not [f"{p.relative_to(ROOT)}: {n}" for p in _python_files()
                if (n := len(p.read_text().splitlines())) > 450]


def test_a_template_included_per_row_does_not_import_for_each_row():
    """A `{% from %}`/`{% import %}` in a template costs a look through every template global each time it runs:
    one included inside a loop imports only when its page did not (`{% if x is not defined %}`), and the page
    imports once."""
    templates = ROOT / "templates"
    files = {p.relative_to(templates).as_posix(): p.read_text(encoding="utf-8") for p in templates.rglob("*.html")}
    bare_import = re.compile(r"^{%-?\s*(from|import)\s", re.M)
    offenders = []
    for name, text in files.items():
        for loop in re.finditer(r"{%-?\s*for\b.*?{%-?\s*endfor", text, re.S):
            for included in re.findall(r'include\s+"([^"]+)"', loop.group(0)):
                if bare_import.search(files.get(included, "")):
                    offenders.append(f"{name} → {included}")
    assert not offenders, offenders
