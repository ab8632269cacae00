"""Recurrence of the checklist engine: each kind's periods and due days, the month's last day (February, leap years),
one run per period found from any day in it, and the editor refusing a recurrence that never happens."""
from datetime import date, datetime, time

import pytest

from hospitality.checklists import editor, reads, services
from hospitality.checklists.services import ChecklistError
from hospitality.extensions import db
from hospitality.models import ChecklistRun, ChecklistTemplate, Site
from hospitality.models.attendance import Shift
from hospitality.models.checklists import Period, period_of
from tests.factories import make_site, make_user, routine
from tests.harness import count_rows


def test_daily_is_the_day_itself():
    """Every day is its own period, due that day (today's behaviour)."""
    day = date(2026, 12, 6)
    assert period_of("daily", None, day) == Period(day, day, day)


def test_weekdays_run_only_on_the_ticked_days():
    """Mon/Wed/Fri: a period on each of those days, none on the others."""
    assert period_of("weekdays", "0,2,4", date(2026, 11, 30)) is not None  # a Monday
    assert period_of("weekdays", "0,2,4", date(2026, 12, 1)) is None  # Tuesday
    assert period_of("weekdays", "0,2,4", date(2026, 12, 4)).due == date(2026, 12, 4)  # Friday


@pytest.mark.parametrize("day", [date(2026, 11, 30), date(2026, 12, 3), date(2026, 12, 6)])
def test_weekly_runs_monday_to_sunday_due_on_its_weekday(day):
    """Any day of a week falls in the Monday–Sunday period, due on the chosen weekday (Friday)."""
    assert period_of("weekly", "4", day) == Period(date(2026, 11, 30), date(2026, 12, 6), date(2026, 12, 4))


@pytest.mark.parametrize("day, start, end, due", [
    (date(2026, 12, 1), date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 10)),
    (date(2026, 12, 15), date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 10)),
    (date(2026, 12, 16), date(2026, 12, 16), date(2026, 12, 31), date(2026, 12, 31)),
    (date(2025, 2, 20), date(2025, 2, 16), date(2025, 2, 28), date(2025, 2, 28)),
    (date(2024, 2, 29), date(2024, 2, 16), date(2024, 2, 29), date(2024, 2, 29)),
])
def test_half_month_splits_at_the_15th_and_ends_with_the_month(day, start, end, due):
    """1st–15th and 16th–end, each due on its own day ("last": the month's last, 28 or 29 in February)."""
    assert period_of("half_month", "10,last", day) == Period(start, end, due)


@pytest.mark.parametrize("on, day, due", [
    ("last", date(2025, 2, 3), date(2025, 2, 28)),
    ("last", date(2024, 2, 3), date(2024, 2, 29)),
    ("31", date(2026, 4, 9), date(2026, 4, 30)),
    ("30", date(2100, 2, 1), date(2100, 2, 28)),  # 2100 is not a leap year
    ("15", date(2026, 12, 31), date(2026, 12, 15)),
])
def test_monthly_day_or_the_last_day(on, day, due):
    """Monthly: the whole month is the period; a day the month lacks falls on its last day."""
    p = period_of("monthly", on, day)
    assert p.start == day.replace(day=1) and p.due == due and p.end.month == day.month
    assert (p.end.replace(day=28) - p.end).days <= 0 and p.end.day >= 28


@pytest.mark.parametrize("kwargs, field", [
    (dict(recurrence="weekdays", weekdays=[]), "weekdays"),
    (dict(recurrence="weekdays", weekdays=["7"]), "weekdays"),
    (dict(recurrence="weekly", weekday="9"), "weekday"),
    (dict(recurrence="monthly", month_day="0"), "month_day"),
    (dict(recurrence="monthly", month_day="32"), "month_day"),
    (dict(recurrence="monthly", month_day="-1"), "month_day"),
    (dict(recurrence="half_month", first_half="16", second_half="last"), "first_half"),
    (dict(recurrence="half_month", first_half="15", second_half="15"), "second_half"),
    (dict(recurrence="yearly"), "recurrence"),
])
def test_a_recurrence_that_never_happens_is_refused_under_its_field(kwargs, field):
    """No weekday, day 0 or 32, a due day outside its half, an unknown kind: refused, naming the field."""
    rec = kwargs.pop("recurrence")
    with pytest.raises(ChecklistError) as e:
        editor.parse_recurrence(rec, **kwargs)
    assert e.value.field == field


def test_recurrences_are_stored_compactly():
    """The editor's fields become on_days: weekdays sorted, the day, the two halves' days."""
    assert editor.parse_recurrence("weekdays", weekdays=["4", "0"]) == ("weekdays", "0,4")
    assert editor.parse_recurrence("weekly", weekday="4") == ("weekly", "4")
    assert editor.parse_recurrence("monthly", month_day="last") == ("monthly", "last")
    assert editor.parse_recurrence("half_month", first_half="10", second_half="31") == ("half_month", "10,31")
    assert editor.parse_recurrence("daily", month_day="99") == ("daily", None)


@pytest.fixture
def weekly(ctx):
    """A water-bar routine made weekly, due Friday 18:00, and its water-bar person."""
    site = make_site()
    user = make_user(site.id, "water_bar")
    tpl = routine(site.id, "water_bar", "closing")
    tpl.recurrence, tpl.on_days = "weekly", "4"
    db.session.commit()
    return db.session.get(Site, site.id), user, db.session.get(ChecklistTemplate, tpl.id)


def _complete(site, user, tpl, day):
    for item in tpl.active_items:
        if item.required:
            services.answer_item(site, user, tpl, item, "1", "1", "ok", day=day)
    services.complete_run(site, user, tpl, day)


def test_a_weekly_run_belongs_to_its_week(weekly):
    """Answered on Tuesday, the run's day is the week's Monday; Thursday finds the same run, the next week none."""
    site, user, tpl = weekly
    _complete(site, user, tpl, date(2026, 12, 1))
    run = db.session.scalar(db.select(ChecklistRun))
    assert run.shift_date == date(2026, 11, 30)
    assert reads.find_run(tpl, date(2026, 12, 3)).id == run.id
    assert reads.find_run(tpl, date(2026, 12, 7)) is None
    assert count_rows(ChecklistRun) == 1


def test_a_weekly_round_is_due_on_its_weekday(weekly):
    """Its state: to do before Friday's due time, missing after it, done once completed (any day that week)."""
    site, user, tpl = weekly
    wed, sat = datetime(2026, 12, 2, 10, 0), datetime(2026, 12, 5, 10, 0)
    [s] = reads.day_status(site, date(2026, 12, 2), [tpl], wed)
    assert s.state == "pending" and s.due_at == datetime.combine(date(2026, 12, 4), tpl.due_time)
    [s] = reads.day_status(site, date(2026, 12, 5), [tpl], sat)
    assert s.state == "missing"
    _complete(site, user, tpl, date(2026, 12, 1))
    [s] = reads.day_status(site, date(2026, 12, 6), [tpl], sat)
    assert s.run is not None and s.state in ("done", "late")


def test_a_weekday_routine_is_absent_on_other_days(weekly):
    """A routine on Mondays only has no round on a Tuesday, and one on the Monday."""
    site, _user, tpl = weekly
    tpl.recurrence, tpl.on_days = "weekdays", "0"
    db.session.commit()
    assert reads.day_status(site, date(2026, 12, 1), [tpl], datetime(2026, 12, 1, 9)) == []
    assert len(reads.day_status(site, date(2026, 11, 30), [tpl], datetime(2026, 11, 30, 9))) == 1


def test_daily_routines_keep_their_time(weekly):
    """A daily template's round is due today at its due time (unchanged by recurrence)."""
    site, _user, tpl = weekly
    tpl.recurrence, tpl.on_days = "daily", None
    db.session.commit()
    [s] = reads.day_status(site, date(2026, 12, 2), [tpl], datetime(2026, 12, 2, 8))
    assert s.due_at == datetime.combine(date(2026, 12, 2), tpl.due_time or time(23, 59))


def test_a_summary_read_as_plain_rows_gives_the_states_the_templates_give(weekly):
    """plain_with_runs (the today screens, the manager's day, the lead's board): the rounds, their runs and states
    of every kind of template (weekly and done, daily, a patrol's rounds across its night shift) are those
    day_status gives from the mapped templates."""
    from sqlalchemy import bindparam

    from hospitality.database import select_rows
    site, user, tpl = weekly
    _complete(site, user, tpl, date(2026, 12, 1))
    patrol = ChecklistTemplate(site_id=site.id, kind="patrol", post="security", name="巡逻", every_minutes=120,
                               shift_id=db.session.scalar(db.select(Shift.id).where(Shift.site_id == site.id)
                                                          .order_by(Shift.id.desc()).limit(1)))
    db.session.add(patrol)
    db.session.commit()
    statement = reads.plain_with_runs(ChecklistTemplate.site_id == bindparam("site_id"))
    templates = db.session.scalars(db.select(ChecklistTemplate).where(ChecklistTemplate.site_id == site.id)
                                   .order_by(ChecklistTemplate.position, ChecklistTemplate.id)).all()
    assert {t.recurrence for t in templates} >= {"weekly", "daily"} and patrol.shift is not None
    for day, now in ((date(2026, 12, 3), datetime(2026, 12, 3, 20)), (date(2026, 12, 5), datetime(2026, 12, 5, 9))):
        rows = select_rows(statement, {"site_id": site.id, "days": reads.run_days(day)}).all()
        plain = reads.day_status_of_rows(site, day, rows, now)
        mapped = reads.day_status(site, day, templates, now, counts=False)

        def seen(statuses):
            return [(s.template.id, s.template.kind, s.slot, s.state, s.due_at, s.opens_at,
                     s.run.id if s.run else None) for s in statuses]
        assert seen(plain) == seen(mapped)
        assert sum(1 for s in plain if s.template.id == patrol.id) > 1  # a round every two hours of the night
        assert any(s.template.id == tpl.id and s.run is not None for s in plain)
        assert reads.state_counts(plain) == reads.state_counts(mapped)
