"""Service rules of the checklist engine."""
from datetime import UTC, datetime, timedelta

import pytest

from hospitality.checklists import reads, services
from hospitality.extensions import db
from hospitality.models import AuditLog, ChecklistAnswer, ChecklistRun, Site
from tests.factories import make_site, make_user, routine


@pytest.fixture
def setup(ctx):
    site = make_site()
    user = make_user(site.id, "water_bar")
    return db.session.get(Site, site.id), user, routine(site.id, "water_bar")


def test_first_answer_starts_the_run_and_is_audited(setup):
    """Answering an item creates today's run, the answer and an audit row."""
    site, user, tpl = setup
    item = tpl.active_items[0]
    services.answer_item(site, user, tpl, item, "1", None, None)
    run = db.session.scalar(db.select(ChecklistRun))
    assert run.shift_date == site.today() and run.completed_at is None
    assert db.session.scalar(db.select(ChecklistAnswer.ok)) is True
    actions = db.session.scalars(db.select(AuditLog.action)).all()
    assert "start" in actions and "answer" in actions


def test_failed_item_needs_a_note(setup):
    """A failed yes/no item without a note is refused and nothing is saved."""
    site, user, tpl = setup
    with pytest.raises(services.ChecklistError) as e:
        services.answer_item(site, user, tpl, tpl.active_items[0], "0", None, "  ")
    assert e.value.field == "note"
    assert db.session.scalar(db.select(db.func.count()).select_from(ChecklistRun)) == 0


def test_number_out_of_range_is_refused(setup):
    """A number item refuses negatives, text and values above its maximum."""
    site, user, tpl = setup
    num_item = next(i for i in tpl.active_items if i.answer_type == "number")
    for bad in ("-1", "abc", "501", "1e9", "NaN", ""):
        with pytest.raises(services.ChecklistError):
            services.answer_item(site, user, tpl, num_item, None, bad, None)
    services.answer_item(site, user, tpl, num_item, None, "12", None)
    assert db.session.scalar(db.select(ChecklistAnswer.number)) == 12


def test_complete_requires_every_required_item(setup):
    """Completing with items left is refused; once all are answered it completes once."""
    site, user, tpl = setup
    items = tpl.active_items
    services.answer_item(site, user, tpl, items[0], "1", None, None)
    with pytest.raises(services.ChecklistError):
        services.complete_run(site, user, tpl)
    for item in items[1:]:
        if item.answer_type == "check":
            services.answer_item(site, user, tpl, item, "0", None, "杯子不够")
        elif item.answer_type == "number":
            services.answer_item(site, user, tpl, item, None, "20", None)
    run = services.complete_run(site, user, tpl)
    again = services.complete_run(site, user, tpl)
    assert run.id == again.id and run.completed_at is not None
    assert run.failed_count == len([i for i in items[1:] if i.answer_type == "check"])
    with pytest.raises(services.ChecklistError):
        services.answer_item(site, user, tpl, items[0], "1", None, None)


def _utc(site, local):
    return local.replace(tzinfo=site.tz).astimezone(UTC).replace(tzinfo=None)


def test_day_status_done_late_missing(setup):
    """Before the due time a routine is pending, after it missing; done after due is late."""
    site, user, tpl = setup
    day = site.today()
    due = datetime.combine(day, tpl.due_time)
    early, late = due - timedelta(hours=1), due + timedelta(hours=1)
    assert reads.day_status(site, day, [tpl], now=early)[0].state == "pending"
    assert reads.day_status(site, day, [tpl], now=late)[0].state == "missing"
    run = ChecklistRun(site_id=site.id, template_id=tpl.id, shift_date=day, started_by_id=user.id)
    db.session.add(run)
    db.session.commit()
    assert reads.day_status(site, day, [tpl], now=early)[0].state == "in_progress"
    assert reads.day_status(site, day, [tpl], now=late)[0].state == "overdue"
    run.completed_by_id, run.completed_at = user.id, _utc(site, late)
    db.session.commit()
    assert reads.day_status(site, day, [tpl], now=late)[0].state == "late"
    run.completed_at = _utc(site, early)
    db.session.commit()
    assert reads.day_status(site, day, [tpl], now=late)[0].state == "done"
