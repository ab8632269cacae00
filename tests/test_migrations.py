"""Migrations build the schema from nothing, and agree with the models."""
import secrets
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from hospitality import create_app
from hospitality.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


@pytest.fixture
def empty_db(database_url, tmp_path):
    """App settings for an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if not database_url.startswith("postgres"):
        yield {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'migrated.sqlite'}"}
        return
    # Only the test database is ours: migrate into a fresh schema of it, then drop that schema.
    schema = f"migtest_{secrets.token_hex(4)}"
    url = make_url(database_url).set(drivername="postgresql+psycopg")
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield {"SQLALCHEMY_DATABASE_URI": database_url,
               "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}}}
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def migrated_app(empty_db, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "migrations", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, **empty_db})
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []  # really empty
        upgrade(directory=MIGRATIONS)
        yield app
        db.session.remove()
        db.engine.dispose()


def test_upgrade_from_empty_reaches_head(migrated_app):
    """`flask db upgrade` on an empty database creates every table and stamps the head revision."""
    head = ScriptDirectory.from_config(
        migrated_app.extensions["migrate"].migrate.get_config(MIGRATIONS)).get_current_head()
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
        tables = set(inspect(conn).get_table_names())
    assert {t.name for t in db.metadata.sorted_tables} <= tables


def test_models_and_migrations_agree(migrated_app):
    """Autogenerate finds no difference between the migrated schema and the models."""
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "compare_server_default": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == []


def test_0006_backfills_the_cost_of_earlier_visits(empty_db, tmp_path):
    """A visit served before 0006 gets its cost from the ledger, net of a reversal."""
    app = create_app({"TESTING": True, "SECRET_KEY": "migrations", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, **empty_db})
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0005")
        with db.engine.begin() as conn:
            run = conn.execute
            run(text("INSERT INTO sites (id, name, code, timezone, active, created_at) "
                     "VALUES (1, 's', 'S', 'Asia/Shanghai', true, '2026-01-01')"))
            run(text("INSERT INTO users (id, site_id, username, name, badge_no, phone, post, password_hash, active, "
                     "created_at) VALUES (1, 1, 'u', 'u', 'B1', '', 'water_bar', 'x', true, '2026-01-01')"))
            run(text("INSERT INTO locations (id, site_id, kind, name, position, active) "
                     "VALUES (1, 1, 'water_bar', 'bar', 0, true)"))
            run(text("INSERT INTO items (id, site_id, location_id, kind, name, unit, whole, pack_size, par_level, "
                     "unit_price, discard_at_close, position, active) "
                     "VALUES (1, 1, 1, 'consumable', 'tea', 'p', true, 1, 0, 8, false, 0, true)"))
            run(text("INSERT INTO visits (id, site_id, arrived_at, by_car, party_size, recorded_by_id, status) "
                     "VALUES (1, 1, '2026-01-01', false, 2, 1, 'active')"))
            for mid, qty, bal, reason, ref_type, ref_id, rev in (
                    (1, 3, 3, "received", None, None, None), (2, -2, 1, "served", "visit", 1, None),
                    (3, -1, 0, "served", "visit", 1, None), (4, 1, 1, "reversal", "reversal", 3, 3)):
                run(text("INSERT INTO stock_moves (id, site_id, item_id, qty, balance_after, reason, user_id, at, "
                         "ref_type, ref_id, reverses_id) VALUES (:id, 1, 1, :qty, :bal, :reason, 1, '2026-01-01', "
                         ":rt, :ri, :rev)"), {"id": mid, "qty": qty, "bal": bal, "reason": reason, "rt": ref_type,
                                              "ri": ref_id, "rev": rev})
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT served_cost FROM visits WHERE id = 1")).scalar() == 16
        db.session.remove()
        db.engine.dispose()


def test_upgrade_keeps_the_rows_of_a_database_in_use(empty_db, tmp_path):
    """Migrations that rebuild a table other rows point at (SQLite copies it and drops the old one: 0015 the tasks,
    0017 the checklist templates a run and its items point at) upgrade a database with data; every reference holds
    afterwards and foreign keys are enforced again."""
    app = create_app({"TESTING": True, "SECRET_KEY": "migrations", "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, **empty_db})
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0014")
        with db.engine.begin() as conn:
            run = conn.execute
            run(text("INSERT INTO sites (id, name, code, timezone, active, created_at) "
                     "VALUES (1, 's', 'S', 'Asia/Shanghai', true, '2026-01-01')"))
            run(text("INSERT INTO users (id, site_id, username, name, badge_no, phone, post, password_hash, active, "
                     "created_at) VALUES (1, 1, 'u', 'u', 'B1', '', 'lead', 'x', true, '2026-01-01')"))
            run(text("INSERT INTO checklist_templates (id, site_id, kind, post, name, position, active, created_at) "
                     "VALUES (1, 1, 'inspection', 'lead', '水吧检查', 0, true, '2026-01-01')"))
            run(text("INSERT INTO checklist_items (id, template_id, position, text, answer_type, required, active) "
                     "VALUES (1, 1, 0, '台面清洁', 'check', true, true)"))
            run(text("INSERT INTO checklist_runs (id, site_id, template_id, shift_date, slot, started_by_id, "
                     "started_at, failed_count) VALUES (1, 1, 1, '2026-01-01', '', 1, '2026-01-01', 1)"))
            run(text("INSERT INTO tasks (id, site_id, run_id, assignee, text, status, created_by_id, created_at) "
                     "VALUES (1, 1, 1, 'cleaner', '台面有水渍', 'open', 1, '2026-01-01')"))
        upgrade(directory=MIGRATIONS)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT kind, run_id FROM tasks WHERE id = 1")).one() == ("inspection", 1)
            assert conn.execute(text(
                "SELECT t.recurrence, t.assignee, count(i.id) FROM checklist_templates t JOIN checklist_items i "
                "ON i.template_id = t.id JOIN checklist_runs r ON r.template_id = t.id GROUP BY t.recurrence, "
                "t.assignee")).one() == ("daily", "post", 1)
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        with db.engine.connect() as conn:  # a new connection enforces references as the app's always do
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.session.remove()
        db.engine.dispose()
