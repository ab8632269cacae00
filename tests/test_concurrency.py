"""Staff tap at the same moment: concurrent answers and completions through the services.

Each thread works in its own app context (its own session and connection), as a request would.
Runs on whichever engine the suite runs on (SQLite, or PostgreSQL with TEST_DATABASE_URL).
"""
from types import SimpleNamespace

import pytest

from hospitality.checklists import services
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import AuditLog, ChecklistAnswer, ChecklistItem, ChecklistRun, ChecklistTemplate, Site, User
from tests.factories import make_site, make_user
from tests.harness import in_threads

THREADS = 20


@pytest.fixture
def ids(app):
    """A routine of THREADS yes/no items and a few water-bar attendants, by id."""
    with app.app_context():
        site = make_site()
        users = [make_user(site.id, "water_bar").id for _ in range(4)]
        with write_tx():
            tpl = ChecklistTemplate(site_id=site.id, kind="opening", post="water_bar", name="并发测试")
            db.session.add(tpl)
            for n in range(THREADS):
                tpl.items.append(ChecklistItem(position=n, text=f"项目{n}", answer_type="check"))
        day = db.session.get(Site, site.id).today()
        return SimpleNamespace(site=site.id, users=users, tpl=tpl.id, items=[i.id for i in tpl.items], day=day)


def _load(ids, i, item_index):
    site = db.session.get(Site, ids.site)
    user = db.session.get(User, ids.users[i % len(ids.users)])
    tpl = db.session.get(ChecklistTemplate, ids.tpl)
    item = db.session.get(ChecklistItem, ids.items[item_index])
    return site, user, tpl, item


def _scalar(app, stmt):
    with app.app_context():
        return db.session.scalar(stmt)


def test_concurrent_first_answers_make_one_run(app, ids):
    """Twenty phones answering different items of a fresh day's routine at once share one run."""
    def work(i):
        site, user, tpl, item = _load(ids, i, i)
        services.answer_item(site, user, tpl, item, "1", None, None, day=ids.day)

    _results, errors = in_threads(app, THREADS, work)
    assert errors == [], [repr(e) for e in errors]
    with app.app_context():
        runs = db.session.scalars(db.select(ChecklistRun)).all()
        assert len(runs) == 1 and runs[0].shift_date == ids.day
        answered = db.session.scalars(db.select(ChecklistAnswer.item_id)
                                      .where(ChecklistAnswer.run_id == runs[0].id)).all()
    assert sorted(answered) == sorted(ids.items)
    assert _scalar(app, db.select(db.func.count()).select_from(AuditLog).where(AuditLog.action == "start")) == 1
    assert _scalar(app, db.select(db.func.count()).select_from(AuditLog).where(AuditLog.action == "answer")) \
        == THREADS


def test_concurrent_answers_to_one_item_keep_one_row(app, ids):
    """Twenty taps on the same item of a started run at once leave one answer row, without errors."""
    with app.app_context():
        site, user, tpl, item = _load(ids, 0, 1)
        services.answer_item(site, user, tpl, item, "1", None, None, day=ids.day)

    def work(i):
        site, user, tpl, item = _load(ids, i, 0)
        services.answer_item(site, user, tpl, item, "1" if i % 2 else "0", None, f"备注{i}", day=ids.day)

    _results, errors = in_threads(app, THREADS, work)
    assert errors == [], [repr(e) for e in errors]
    assert _scalar(app, db.select(db.func.count()).select_from(ChecklistRun)) == 1
    assert _scalar(app, db.select(db.func.count()).select_from(ChecklistAnswer)
                   .where(ChecklistAnswer.item_id == ids.items[0])) == 1
    assert _scalar(app, db.select(db.func.count()).select_from(AuditLog).where(AuditLog.action == "answer")) \
        == THREADS + 1


def test_concurrent_completion_is_recorded_once(app, ids):
    """Twenty taps on "complete" of the same run at once complete it once, with one audit row."""
    with app.app_context():
        for n in range(THREADS):
            site, user, tpl, item = _load(ids, 0, n)
            services.answer_item(site, user, tpl, item, "1", None, None, day=ids.day)
    results: list[int] = []

    def work(i):
        site, user, tpl, _item = _load(ids, i, 0)
        results.append(services.complete_run(site, user, tpl, day=ids.day).id)

    _results, errors = in_threads(app, THREADS, work)
    assert errors == [], [repr(e) for e in errors]
    with app.app_context():
        run = db.session.scalar(db.select(ChecklistRun))
        assert run.completed_at is not None and run.completed_by_id in ids.users
    assert results == [run.id] * THREADS
    completions = _scalar(app, db.select(db.func.count()).select_from(AuditLog)
                          .where(AuditLog.action == "complete"))
    assert completions == 1
