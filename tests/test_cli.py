"""The flask commands: init-db, seed-demo, create-user, backup and restore."""
import io
import json
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage

from hospitality import create_app
from hospitality.extensions import db
from hospitality.models import AuditLog, Item, Site, StockMove, User
from hospitality.seed import DEMO_PASSWORD
from tests.factories import ledger_sum, make_item, make_site, make_user, on_hand, png, post

ROOT = Path(__file__).resolve().parent.parent
DEMO_LOGINS = {"manager": "manager", "lead": "lead", "waterbar": "water_bar", "modelroom": "model_room",
               "concierge": "concierge", "security": "security", "waterbar2": "water_bar",
               "security2": "security", "hq": "hq"}


@pytest.fixture
def fresh_app(tmp_path, monkeypatch):
    """An app on an empty SQLite file of its own, as on a fresh machine."""
    monkeypatch.chdir(ROOT)  # Flask-Migrate finds migrations/ relative to the working directory
    app = create_app({"TESTING": True, "SECRET_KEY": "cli-test", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite'}"})
    app.instance_path = str(tmp_path / "instance")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _invoke(app, *args, **kw):
    return app.test_cli_runner().invoke(args=list(args), **kw)


def test_init_db_then_seed_demo_creates_one_login_per_post(fresh_app):
    """init-db builds the schema; seed-demo makes the demo site with one working login per post."""
    r = _invoke(fresh_app, "init-db")
    assert r.exit_code == 0, r.output
    assert "database is up to date" in r.output
    r = _invoke(fresh_app, "seed-demo")
    assert r.exit_code == 0, r.output
    assert "demo data created" in r.output
    with fresh_app.app_context():
        users = {u.username: u for u in db.session.scalars(db.select(User))}
        assert {name: u.post for name, u in users.items()} == DEMO_LOGINS
        assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
        assert DEMO_PASSWORD == "demo1234"
        assert db.session.scalar(db.select(Site.code)) == "DEMO"
    client = fresh_app.test_client()
    for username in DEMO_LOGINS:
        r = client.post("/login", data={"username": username, "password": "demo1234"})
        assert r.status_code == 302, username
        assert client.get("/").status_code == 200
        client.post("/logout")


def test_demo_has_colleagues_for_a_handover_and_a_guard_by_day(app, runner):
    """Two water-bar and two security logins (a handover needs a colleague); the first guard works days, the
    second nights, so the arrival flow can be tried by day with the demo logins."""
    from hospitality.models.attendance import RosterEntry, Shift
    assert "demo data created" in runner.invoke(args=["seed-demo"]).output
    with app.app_context():
        rows = db.session.execute(db.select(User.username, Shift.code).join(RosterEntry, RosterEntry.user_id == User.id)
                                  .join(Shift, RosterEntry.shift_id == Shift.id)).all()
        codes = {}
        for username, code in rows:
            codes.setdefault(username, set()).add(code)
        assert codes["security"] == {"day"} and codes["security2"] == {"night"}
        assert codes["waterbar"] == {"day"} and codes["waterbar2"] == {"day"}


def test_second_seed_demo_seeds_nothing(app, runner):
    """Running seed-demo on a database with data leaves it as it is and says so."""
    assert "demo data created" in runner.invoke(args=["seed-demo"]).output
    r = runner.invoke(args=["seed-demo"])
    assert r.exit_code == 0
    assert "nothing seeded" in r.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == len(DEMO_LOGINS)
        assert db.session.scalar(db.select(db.func.count()).select_from(Site)) == 1


def _create_user(runner, username, badge="X1"):
    return runner.invoke(args=["create-user", "--site", "DEMO", "--username", username, "--name", "新保安",
                               "--badge", badge, "--post", "security", "--password", "night-pass-1"])


def test_create_user_makes_a_login(app, runner):
    """create-user adds a login on the named site that can log in, and audits it."""
    with app.app_context():
        make_site(code="DEMO")
    r = _create_user(runner, "guard2")
    assert r.exit_code == 0, r.output
    assert "created user guard2" in r.output
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "guard2"))
        assert (user.post, user.badge_no, user.site.code) == ("security", "X1", "DEMO")
        assert user.check_password("night-pass-1")
        assert db.session.scalar(db.select(AuditLog.action).where(AuditLog.entity == "user",
                                                                  AuditLog.entity_id == user.id)) == "create"
    r = app.test_client().post("/login", data={"username": "guard2", "password": "night-pass-1"})
    assert r.status_code == 302


def test_create_user_refuses_a_taken_username(app, runner):
    """create-user with a taken username fails with a clear message and adds no one."""
    with app.app_context():
        site = make_site(code="DEMO")
        make_user(site.id, "security", username="guard")
    r = _create_user(runner, "guard", badge="X2")
    assert r.exit_code == 1
    assert "Error: This username is taken." in r.output, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 1


def test_create_user_unknown_site(app, runner):
    """create-user names the missing site instead of failing obscurely."""
    r = _create_user(runner, "guard3")
    assert r.exit_code == 1 and "no site with code DEMO" in r.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def _need_pg_tools(backend: str) -> None:
    if backend != "sqlite" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not installed, so the PostgreSQL backup cannot run")


def test_backup_writes_a_consistent_copy(app, runner, tmp_path):
    """backup writes an archive whose database opens and holds the users, with what it is in backup.json."""
    with app.app_context():
        site = make_site()
        make_user(site.id, "manager", username="boss")
        make_user(site.id, "water_bar", username="barista")
        backend = db.engine.url.get_backend_name()
    _need_pg_tools(backend)
    dest = tmp_path / "copy.tar.gz"
    r = runner.invoke(args=["backup", str(dest)])
    assert r.exit_code == 0, r.output
    assert f"backup written to {dest}" in r.output
    assert dest.stat().st_mode & 0o077 == 0  # it holds everyone's data and the key: the owner's alone
    out = tmp_path / "out"
    with tarfile.open(dest) as tar:
        tar.extractall(out, filter="data")
    meta = json.loads((out / "backup.json").read_text())
    assert meta["engine"] == backend and meta["rows"]["users"] == 2 and meta["photos"] == "uploads/"
    if backend == "sqlite":
        with sqlite3.connect(out / "database.sqlite") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            names = {row[0] for row in conn.execute("SELECT username FROM users")}
        assert names == {"boss", "barista"}
        return
    assert (out / "database.dump").read_bytes()[:5] == b"PGDMP"
    data = subprocess.run(["pg_restore", "--data-only", "--table=users", "--file=-", str(out / "database.dump")],
                          check=True, capture_output=True, text=True).stdout
    assert "boss" in data and "barista" in data


def test_backup_defaults_to_the_instance_folder(app, runner):
    """Without a destination, backup writes into instance/backups."""
    with app.app_context():
        make_site()
        backend = db.engine.url.get_backend_name()
    _need_pg_tools(backend)
    backups = Path(app.instance_path) / "backups"
    before = set(backups.glob("*")) if backups.exists() else set()
    r = runner.invoke(args=["backup"])
    assert r.exit_code == 0, r.output
    [new] = set(backups.glob("hospitality-*.tar.gz")) - before
    assert new.stat().st_size > 0 and str(new) in r.output


def _world(app) -> dict:
    """What a restore must give back: every table's rows, each item's balance and the sum of its ledger."""
    from hospitality.backup import row_counts
    with app.app_context():
        items = db.session.scalars(db.select(Item.id).order_by(Item.id)).all()
        return {"rows": row_counts(), "balances": {i: (on_hand(i), ledger_sum(i)) for i in items}}


def test_backup_then_restore_gives_back_every_row_balance_photo_and_the_key(app, runner, tmp_path):
    """The drill the README describes: back up a working site, lose data, restore, and find everything as it was:
    row counts, stock balances equal to their ledgers, the photos and the secret key."""
    from hospitality import photos
    with app.app_context():
        site = make_site()
        boss = make_user(site.id, "manager", username="boss")
        for n in range(3):
            item = make_item(site.id, name=f"水{n}", stock=20 + n)
            post(item, boss.id, -3, "served")
        backend = db.engine.url.get_backend_name()
    _need_pg_tools(backend)
    with app.test_request_context():
        photo = photos.store(FileStorage(png(), filename="a.png"), "incidents")
    key_file = Path(app.instance_path) / "secret_key"
    key_file.write_text("the-key-sessions-were-signed-with")
    before = _world(app)
    dest = tmp_path / "drill.tar.gz"
    assert runner.invoke(args=["backup", str(dest)]).exit_code == 0
    # Lose things: ledger rows deleted, another item and a login added, the photo and the key gone.
    with app.app_context():
        make_item(site.id, name="多出来的", stock=5)
        make_user(site.id, "lead", username="newcomer")
        db.session.execute(db.delete(StockMove).where(StockMove.reason == "served"))
        db.session.commit()
    (Path(app.instance_path) / "uploads" / "incidents" / photo).unlink()
    key_file.write_text("another")
    assert _world(app) != before

    refused = runner.invoke(args=["restore", str(dest)])
    assert refused.exit_code == 1 and "--replace" in refused.output  # data there: not without being told
    r = runner.invoke(args=["restore", str(dest), "--replace"])
    assert r.exit_code == 0, r.output
    assert "restored" in r.output
    after = _world(app)
    assert after == before
    assert all(balance == ledger for balance, ledger in after["balances"].values())
    assert (Path(app.instance_path) / "uploads" / "incidents" / photo).is_file()
    assert key_file.read_text() == "the-key-sessions-were-signed-with"


def test_restore_refuses_another_engines_archive_and_a_missing_file(app, runner, tmp_path):
    with app.app_context():
        backend = db.engine.url.get_backend_name()
    other = "postgresql" if backend == "sqlite" else "sqlite"
    fake = tmp_path / "other.tar.gz"
    body = json.dumps({"format": 1, "engine": other, "rows": {}, "created_at": "x"}).encode()
    with tarfile.open(fake, "w:gz") as tar:
        info = tarfile.TarInfo("backup.json")
        info.size = len(body)
        tar.addfile(info, io.BytesIO(body))
    r = runner.invoke(args=["restore", str(fake)])
    assert r.exit_code == 1 and f"this is a {other} backup and the app runs on {backend}" in r.output
    r = runner.invoke(args=["restore", str(tmp_path / "nothing.tar.gz")])
    assert r.exit_code != 0


def test_demo_has_tasks_and_repairs_to_show(app, runner):
    """The demo's posts asked each other for things this morning and two repairs are open: the water bar sees its
    accepted restock and the cleaner task it raised (cleared in 2 min), the lead every open task and repair."""
    assert "demo data created" in runner.invoke(args=["seed-demo"]).output
    client = app.test_client()
    client.post("/login", data={"username": "waterbar", "password": DEMO_PASSWORD})
    assert "补充矿泉水和纸杯" in client.get("/").text
    assert "3号桌" in client.get("/tasks/raised").text
    client.post("/logout")
    client.post("/login", data={"username": "lead", "password": DEMO_PASSWORD})
    tasks, repairs = client.get("/tasks/").text, client.get("/repairs/").text
    assert "洗手间地面有水" in tasks and "补充矿泉水和纸杯" in tasks
    assert "洗手盆水龙头松动漏水" in repairs and "咖啡机不出热水" in repairs
