"""Rules of the cleaners' rota (seeded per site, ticked for the cleaners once per period, a missed period shown
once) and of linen (counted out, back in parts, never more back than is away, double taps once)."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from hospitality import clock
from hospitality.extensions import db
from hospitality.models import AuditLog, ChecklistRun, ChecklistTemplate, Site, User
from hospitality.models.linen import LinenBatch, LinenCount
from hospitality.routines import reads, services
from hospitality.routines.seed import ROTA, seed_cleaning
from tests.factories import at
from tests.harness import count_rows

FRI = at(2026, 12, 4, 10, 0)  # a Friday morning


def _site(env) -> Site:
    return db.session.get(Site, env.site)


def _user(env, post="lead") -> User:
    return db.session.get(User, env.users[post])


def _tpl(env, key) -> ChecklistTemplate:
    return db.session.get(ChecklistTemplate, env.rota[f"clean_{key}"])


def test_every_site_gets_the_rota_of_seed_002_once(ctx, env):
    """8 daily, 5 weekly, 1 half-monthly and 1 monthly task, given to the cleaners; seeding again adds nothing."""
    tpls = reads.cleaning_templates(env.site)
    by = {}
    for t in tpls:
        by[t.recurrence] = by.get(t.recurrence, 0) + 1
        assert t.assignee == "cleaners" and t.kind == "cleaning" and len(t.active_items) == 1
    assert by == {"daily": 8, "weekly": 5, "half_month": 1, "monthly": 1} and len(ROTA) == 15
    assert seed_cleaning(_site(env)) == 0


def test_the_lounge_rounds_are_the_water_bars(ctx, env):
    """Seed 000's four lounge rounds go to the water bar's post (its today screen), not to the lead."""
    t = db.session.scalar(select(ChecklistTemplate).where(ChecklistTemplate.site_id == env.site,
                                                          ChecklistTemplate.seed_key == "lounge_rounds"))
    assert t.post == "water_bar" and t.times == "10:00,12:00,15:00,17:00"
    with clock.travel_to(FRI, frozen=True):
        panel = reads.today_panel(_site(env), _user(env, "water_bar"))
        assert [s.slot for s in panel["own_rounds"]] == ["10:00", "12:00", "15:00", "17:00"]
        assert "own_rounds" not in reads.today_panel(_site(env), _user(env, "model_room"))


def test_ticking_a_weekly_task_is_for_the_week_and_on_the_cleaners_behalf(ctx, env):
    """Done on Friday: the run is the week's (Monday), completed by the lead, audited as for the cleaners; a second
    tap changes nothing; the rota shows it done with the lead's name."""
    with clock.travel_to(FRI, frozen=True):
        site, lead, t = _site(env), _user(env), _tpl(env, "glass")
        run = services.tick_for_cleaners(site, lead, t)
        again = services.tick_for_cleaners(site, lead, t)
        assert again.id == run.id and run.shift_date == date(2026, 11, 30) and run.completed_by_id == lead.id
        assert count_rows(ChecklistRun, ChecklistRun.template_id == t.id) == 1
        audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "done_for_cleaners"))
        assert audit is not None and audit.detail["on_behalf"] == "cleaners"
        [row] = [r for r in reads.rota(site)["week"] if r.status.template.id == t.id]
        assert row.status.state == "done" and row.done_by == lead.name


def test_a_missed_period_shows_once(ctx, env):
    """Last week's undone task shows as missed during this week only; a daily task missed yesterday shows today,
    not the day after (when yesterday's period is the one before)."""
    site = _site(env)
    for t in reads.cleaning_templates(site.id):
        t.created_at = datetime(2026, 11, 1)
    db.session.commit()
    with clock.travel_to(at(2026, 12, 8, 9, 0), frozen=True):  # Tuesday of the next week
        rota = reads.rota(site)
        weekly = [r for r in rota["week"] if r.missed]
        assert len(weekly) == 5 and weekly[0].missed.start == date(2026, 11, 30)
        daily = [r for r in rota["day"] if r.missed]
        assert len(daily) == 8 and daily[0].missed.start == date(2026, 12, 7)
    # Ticked yesterday: no longer missed the day after.
    with clock.travel_to(at(2026, 12, 7, 16, 0), frozen=True):
        services.tick_for_cleaners(site, _user(env), _tpl(env, "floor"))
    with clock.travel_to(at(2026, 12, 8, 9, 0), frozen=True):
        [row] = [r for r in reads.rota(site)["day"] if r.status.template.id == env.rota["clean_floor"]]
        assert row.missed is None


def test_a_new_rota_task_is_not_missed_before_it_existed(ctx, env):
    """A task seeded this week does not show last week as missed."""
    with clock.travel_to(at(2026, 12, 8, 9, 0), frozen=True):
        site = _site(env)
        for t in reads.cleaning_templates(site.id):
            t.created_at = datetime(2026, 12, 7, 2)
        db.session.commit()
        assert not [r for r in reads.rota(site)["week"] if r.missed]


def test_only_the_cleaners_tasks_are_ticked_for_them(ctx, env):
    """Another site's task or a post's routine is refused, nothing written."""
    site, lead = _site(env), _user(env)
    before = count_rows(ChecklistRun)
    for tid in (env.other_weekly, db.session.scalar(select(ChecklistTemplate.id).where(
            ChecklistTemplate.site_id == env.site, ChecklistTemplate.kind == "opening").limit(1))):
        with pytest.raises(services.RoutineError):
            services.tick_for_cleaners(site, lead, db.session.get(ChecklistTemplate, tid))
    assert count_rows(ChecklistRun) == before


# Linen


def _send(env, qty=None, idem="linenout0001", room=None):
    return services.send_linen(_site(env), _user(env, "model_room"), room or env.rooms[0],
                               {"sheet": "4", "pillowcase": "8", "towel": ""} if qty is None else qty, "周一送洗", idem)


def test_linen_out_and_partly_back_leaves_the_shortfall_away(ctx, env):
    """4 sheets and 8 pillowcases out; 4 sheets and 6 pillowcases back: 2 pillowcases stay away (shown), the batch
    stays open; the last 2 back close it."""
    batch = _send(env)
    services.return_linen(_site(env), _user(env, "model_room"), batch, {"sheet": "4", "pillowcase": "6"},
                          "linenback001")
    [away] = reads.away(env.site)
    assert [(k, a) for k, _l, _s, _b, a in away.kinds if a] == [("pillowcase", 2)] and away.away_total == 2
    batch = services.return_linen(_site(env), _user(env, "model_room"), batch, {"pillowcase": "2"}, "linenback002")
    assert batch.closed_at is not None and reads.away(env.site) == []


def test_returning_more_than_is_away_is_refused(ctx, env):
    """More back than is away (or a kind never sent) is refused under its field, nothing written."""
    batch = _send(env)
    before = count_rows(LinenCount)
    for qty, field in (({"sheet": "5"}, "qty-sheet"), ({"towel": "1"}, "qty-towel")):
        with pytest.raises(services.RoutineError) as e:
            services.return_linen(_site(env), _user(env, "model_room"), batch, qty, None)
        assert e.value.field == field
    assert count_rows(LinenCount) == before


@pytest.mark.parametrize("qty, field", [({"sheet": "-1"}, "qty-sheet"), ({"sheet": "0"}, "qty"), ({}, "qty"),
                                        ({"sheet": "1.5"}, "qty-sheet"), ({"sheet": "1000"}, "qty-sheet")])
def test_bad_counts_are_refused(ctx, env, qty, field):
    """Negative, zero-only, fractional or too many: refused under the field, no batch."""
    with pytest.raises(services.RoutineError) as e:
        _send(env, qty)
    assert e.value.field == field and count_rows(LinenBatch) == 0


def test_another_sites_room_is_refused(ctx, env):
    """A model room of another site (or not a model room) cannot send linen here."""
    with pytest.raises(services.RoutineError) as e:
        _send(env, room=env.other_room)
    assert e.value.field == "location_id" and count_rows(LinenBatch) == 0


def test_double_taps_count_once(ctx, env):
    """The same send form twice is one batch; the same return form twice counts once."""
    a, b = _send(env), _send(env)
    assert a.id == b.id and count_rows(LinenBatch) == 1
    for _ in range(2):
        services.return_linen(_site(env), _user(env, "model_room"), a, {"sheet": "1"}, "linenback003")
    assert count_rows(LinenCount, LinenCount.returned.is_(True)) == 1


def test_the_model_rooms_today_screen_shows_what_is_away(ctx, env):
    """The model room's today panel lists the open batches; the lead's does not carry it (the page does)."""
    from hospitality.database import read_panels
    _send(env)
    assert read_panels(*reads.linen_reads(_site(env), _user(env, "model_room")))["linen_away"][0].away_total == 12
    assert reads.linen_reads(_site(env), _user(env, "lead")) == []


def test_sent_timestamps(ctx, env):
    """A batch records who sent it and when."""
    with clock.travel_to(FRI, frozen=True):
        batch = _send(env)
    assert batch.sent_by_id == env.users["model_room"] and abs(batch.sent_at - FRI.astimezone(clock.UTC).replace(
        tzinfo=None)) < timedelta(seconds=1)
