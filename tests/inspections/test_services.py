"""Rules of grooming checks, area inspections and their tasks (on the checklist engine)."""
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from hospitality.checklists import editor
from hospitality.checklists import reads as checklist_reads
from hospitality.checklists.services import ChecklistError
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inspections import reads, services
from hospitality.inspections.seed import seed_templates
from hospitality.models import (
    AuditLog,
    ChecklistAnswer,
    ChecklistItem,
    ChecklistRun,
    ChecklistTemplate,
    Location,
    Site,
    User,
)
from hospitality.models.core import utcnow
from hospitality.models.tasks import Task
from hospitality.routines import reads as routines
from tests.factories import clock_in, leave, make_site, roster, team, template
from tests.harness import count_rows


@pytest.fixture
def env(ctx):
    site = make_site()
    return team(site.id)


def _site(env) -> Site:
    return db.session.get(Site, env.site)


def _user(uid) -> User:
    return db.session.get(User, uid)


def _groom_all(env, person_id, fail=0, checker=None):
    """Answer every item of a person's grooming list, the first `fail` ones as problems."""
    site, person = _site(env), _user(person_id)
    tpl = reads.template_for(reads.grooming_templates(site.id), person)
    for n, item in enumerate(tpl.active_items):
        services.answer_grooming(site, _user(checker or env.lead), person, tpl, item,
                                 "0" if n < fail else "1", None, "刘海盖眉" if n < fail else None)
    return tpl


# The seed


def test_seed_adds_grooming_and_inspections_once(ctx):
    """seed_templates adds two grooming lists and one inspection per area; running it again adds nothing."""
    with write_tx():  # a bare site with its areas (make_site's default content already seeds them)
        site = Site(name="空白售楼处", code="BARE", timezone="Asia/Shanghai")
        db.session.add(site)
        db.session.flush()
        for pos, (kind, name) in enumerate([("water_bar", "水吧"), ("model_room", "样板间1"),
                                            ("model_room", "样板间2"), ("negotiation", "洽谈区"),
                                            ("lounge", "VIP室")]):
            db.session.add(Location(site_id=site.id, kind=kind, name=name, position=pos))
    with write_tx():
        added = seed_templates(db.session.get(Site, site.id))
    before = count_rows(ChecklistTemplate, ChecklistTemplate.site_id == site.id)
    items = count_rows(ChecklistItem)
    with write_tx():
        again = seed_templates(db.session.get(Site, site.id))
    assert added == 7 and again == 0  # 2 grooming, water bar, 2 model rooms, negotiation, lounge
    assert count_rows(ChecklistTemplate, ChecklistTemplate.site_id == site.id) == before
    assert count_rows(ChecklistItem) == items
    rooms = db.session.scalars(select(Location.id).where(Location.site_id == site.id,
                                                         Location.kind == "model_room")).all()
    room_tpls = db.session.scalars(select(ChecklistTemplate.location_id).where(
        ChecklistTemplate.site_id == site.id, ChecklistTemplate.seed_key.like("insp_room_%"))).all()
    assert sorted(room_tpls) == sorted(rooms)
    lounge = template(site.id, "lounge_rounds")
    # Seed 000's lounge rounds (自巡) are the attendant's: the water bar's post (issue 16).
    assert lounge.times == "10:00,12:00,15:00,17:00" and lounge.kind == "inspection" and lounge.post == "water_bar"
    assert [t.strftime("%H:%M") for t in lounge.time_list] == ["10:00", "12:00", "15:00", "17:00"]
    grooming = template(site.id, "grooming")
    assert grooming.kind == "grooming" and any("刘海不盖眉" in i.text for i in grooming.items)
    assert all(i.text_en for i in grooming.items)


def test_seed_adds_the_inspection_of_a_new_model_room(ctx):
    """A model room added later gets its inspection on the next run of the seed, and only that one."""
    site = make_site()
    with write_tx():
        seed_templates(db.session.get(Site, site.id))
    with write_tx():
        db.session.add(Location(site_id=site.id, kind="model_room", name="样板间3", position=20))
    with write_tx():
        assert seed_templates(db.session.get(Site, site.id)) == 1
    assert db.session.scalar(select(ChecklistTemplate.name).where(
        ChecklistTemplate.site_id == site.id, ChecklistTemplate.name.like("样板间3%"))) == "样板间3卫生及物品摆放"


# Grooming


def test_grooming_check_is_a_run_about_the_person_with_a_score(env):
    """Answering a person's grooming makes a run with slot u<id> and the subject; completing scores it."""
    wb = env.staff["water_bar"]
    tpl = _groom_all(env, wb, fail=1)
    run = reads.grooming_run(tpl, _user(wb), env.day)
    assert run.slot == f"u{wb}" and run.subject_user_id == wb and run.completed_at is None
    done = services.complete_grooming(_site(env), _user(env.lead), _user(wb), tpl)
    checks = len([i for i in tpl.active_items])
    assert done.score == round(100 * (checks - 1) / checks) and done.failed_count == 1
    assert db.session.scalar(select(AuditLog.detail).where(AuditLog.action == "complete"))["score"] == done.score


def test_two_people_have_separate_grooming_runs(env):
    """Each person on duty gets their own run of the same list on the same day."""
    _groom_all(env, env.staff["water_bar"])
    _groom_all(env, env.staff["model_room"], fail=2)
    runs = db.session.scalars(select(ChecklistRun).where(ChecklistRun.subject_user_id.is_not(None))).all()
    assert {r.subject_user_id for r in runs} == {env.staff["water_bar"], env.staff["model_room"]}
    assert len({r.template_id for r in runs}) == 1


def test_security_is_checked_with_the_security_list(env):
    """A guard's grooming list is the security one (posture, cap); an attendant's the hospitality one."""
    templates = reads.grooming_templates(env.site)
    assert reads.template_for(templates, _user(env.staff["security"])).seed_key == "grooming_security"
    assert reads.template_for(templates, _user(env.staff["water_bar"])).seed_key == "grooming"
    wrong = template(env.site, "grooming_security")
    with pytest.raises(ChecklistError) as e:
        services.answer_grooming(_site(env), _user(env.lead), _user(env.staff["water_bar"]), wrong,
                                 wrong.active_items[0], "1", None, None)
    assert e.value.field == "person" and count_rows(ChecklistRun) == 0


@pytest.mark.parametrize("case", ["not_rostered", "on_leave", "rostered_yesterday"])
def test_grooming_of_someone_not_on_duty_is_refused_and_saves_nothing(env, case):
    """Someone not on today's roster, or on approved leave, cannot be checked: a clear message, no rows."""
    person = env.off
    if case == "on_leave":
        person = env.staff["concierge"]
        leave(env.site, person, env.day)
    elif case == "rostered_yesterday":
        roster(env.site, person, env.day - timedelta(days=1))
    tpl = template(env.site, "grooming")
    audit = count_rows(AuditLog)
    with pytest.raises(ChecklistError) as e:
        services.answer_grooming(_site(env), _user(env.lead), _user(person), tpl, tpl.active_items[0], "1", None,
                                 None)
    assert e.value.field == "person" and _user(person).name in e.value.message
    assert count_rows(ChecklistRun) == 0 and count_rows(ChecklistAnswer) == 0 and count_rows(AuditLog) == audit


def test_pending_leave_does_not_take_someone_off_duty(env):
    """Only approved leave counts: a pending request leaves the person on duty and checkable."""
    person = env.staff["concierge"]
    leave(env.site, person, env.day, status="pending")
    _groom_all(env, person)
    assert count_rows(ChecklistAnswer) > 0


def test_nobody_checks_their_own_grooming(env):
    """The lead on duty cannot check themselves; the manager can check the lead."""
    tpl = template(env.site, "grooming")
    with pytest.raises(ChecklistError) as e:
        services.answer_grooming(_site(env), _user(env.lead), _user(env.lead), tpl, tpl.active_items[0], "1",
                                 None, None)
    assert e.value.field == "person" and count_rows(ChecklistRun) == 0
    _groom_all(env, env.lead, checker=env.boss)
    assert count_rows(ChecklistRun, ChecklistRun.subject_user_id == env.lead) == 1


def test_failed_grooming_item_needs_a_note(env):
    """A failed item without a note is refused by the engine, as in every checklist."""
    tpl = template(env.site, "grooming")
    with pytest.raises(ChecklistError) as e:
        services.answer_grooming(_site(env), _user(env.lead), _user(env.staff["water_bar"]), tpl,
                                 tpl.active_items[0], "0", None, " ")
    assert e.value.field == "note" and count_rows(ChecklistRun) == 0


def test_overview_lists_people_on_duty_with_attendance_and_check(env):
    """The overview has everyone on duty (not the off-duty one), their clock-in and grooming run."""
    wb = env.staff["water_bar"]
    clock_in(env.site, wb, env.day, utcnow(), late=7)
    _groom_all(env, wb)
    services.complete_grooming(_site(env), _user(env.lead), _user(wb), template(env.site, "grooming"))
    rows = {r.person.id: r for r in reads.grooming_overview(_site(env), env.day)}
    assert env.off not in rows and set(env.staff.values()) <= set(rows)
    assert rows[wb].attendance.late_minutes == 7 and rows[wb].done and rows[wb].run.score == 100
    assert rows[env.staff["model_room"]].attendance is None and not rows[env.staff["model_room"]].done


def test_person_record_keeps_the_last_30_checks_oldest_first(env):
    """The record holds at most 30 completed checks in date order, their failed items and attendance."""
    wb = env.staff["water_bar"]
    tpl = template(env.site, "grooming")
    item = tpl.active_items[0]
    with write_tx():
        for n in range(35):
            day = env.day - timedelta(days=n + 1)
            run = ChecklistRun(site_id=env.site, template_id=tpl.id, shift_date=day, slot=f"u{wb}",
                               started_by_id=env.lead, subject_user_id=wb, completed_at=utcnow(),
                               completed_by_id=env.lead, score=50 + n, failed_count=1)
            db.session.add(run)
            db.session.flush()
            db.session.add(ChecklistAnswer(run_id=run.id, item_id=item.id, ok=False, note=f"第{n}天",
                                           answered_by_id=env.lead))
    clock_in(env.site, wb, env.day - timedelta(days=1), utcnow(), late=3)
    rec = reads.person_record(_site(env), _user(wb))
    assert len(rec["runs"]) == 30
    assert [r.shift_date for r in rec["runs"]] == sorted(r.shift_date for r in rec["runs"])
    assert rec["runs"][-1].shift_date == env.day - timedelta(days=1)
    [failed] = rec["failed_items"]  # one item failed on each of the 30 days
    assert failed.count == 30 and failed.last.note == "第0天" and failed.item.id == item.id
    assert rec["attendance"][env.day - timedelta(days=1)].late_minutes == 3
    assert rec["average"] == round(sum(range(50, 80)) / 30)


# Area inspections


def _at(site: Site, day, hh, mm=0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=site.tz)


def test_lounge_rounds_have_four_due_times_and_states(env):
    """At 12:30 the 10:00 round done at 10:30 is late, 12:00 missed, 15:00 and 17:00 still to do."""
    site = _site(env)
    lounge = template(env.site, "lounge_rounds")
    for item in lounge.active_items:
        services.answer_area(site, _user(env.lead), lounge, "10:00", item, "1", None, None)
    run = services.complete_area(site, _user(env.lead), lounge, "10:00")
    with write_tx():
        db.session.get(ChecklistRun, run.id).completed_at = _at(site, env.day, 10, 30).astimezone(UTC).replace(
            tzinfo=None)
    states = {s.slot: s.state for s in reads.area_status(site, env.day, [lounge], now=_at(site, env.day, 12, 30))}
    assert states == {"10:00": "late", "12:00": "missing", "15:00": "pending", "17:00": "pending"}


def test_a_round_done_before_its_time_is_done(env):
    """A once-a-day inspection completed at 09:10 is done; one untouched is missing after 09:30."""
    site = _site(env)
    bar = template(env.site, "insp_water_bar")
    for item in bar.active_items:
        services.answer_area(site, _user(env.lead), bar, "", item, "1", None, None)
    run = services.complete_area(site, _user(env.lead), bar, "")
    with write_tx():
        db.session.get(ChecklistRun, run.id).completed_at = _at(site, env.day, 9, 10).astimezone(UTC).replace(
            tzinfo=None)
    statuses = reads.area_status(site, env.day, now=_at(site, env.day, 23, 0))
    seeded = dict(db.session.execute(select(ChecklistTemplate.id, ChecklistTemplate.seed_key)).tuples().all())
    by = {(seeded[s.template.id], s.slot): s.state for s in statuses}
    assert by[("insp_water_bar", "")] == "done"
    assert by[("insp_negotiation", "")] == "missing"
    assert len(statuses) == 5 + 3  # water bar, 2 rooms, negotiation, 4 lounge rounds
    assert [s.due for s in statuses] == sorted(s.due for s in statuses)


def test_rounds_are_separate_runs(env):
    """Answering the 10:00 round leaves the 12:00 round untouched."""
    site = _site(env)
    lounge = template(env.site, "lounge_rounds")
    services.answer_area(site, _user(env.lead), lounge, "10:00", lounge.active_items[0], "1", None, None)
    assert checklist_reads.find_run(lounge, env.day, "10:00") is not None
    assert checklist_reads.find_run(lounge, env.day, "12:00") is None
    assert reads.valid_slot(lounge, "12:00", env.day) and not reads.valid_slot(lounge, "11:00", env.day)
    assert not reads.valid_slot(lounge, "", env.day)


# Tasks


def _failed_answer(env, key="insp_water_bar", note="台面有水渍"):
    site = _site(env)
    tpl = template(env.site, key)
    return services.answer_area(site, _user(env.lead), tpl, "", tpl.active_items[0], "0", None, note)


def test_failed_item_raises_one_task_per_form(env):
    """A failed item raises a task for the cleaner; the same form posted twice raises it once."""
    answer = _failed_answer(env)
    site, lead = _site(env), _user(env.lead)
    t1 = services.raise_task(site, lead, answer, "cleaner", "", "idemkey0001")
    t2 = services.raise_task(site, lead, answer, "cleaner", "", "idemkey0001")
    assert t1.id == t2.id and count_rows(Task) == 1
    assert t1.text == "台面有水渍" and t1.status == "open" and t1.run_id == answer.run_id
    assert count_rows(AuditLog, AuditLog.entity == "task") == 1


@pytest.mark.parametrize("assignee,text,field", [("boss", "擦干", "assignee"), ("cleaner", "x" * 501, "text")])
def test_bad_task_is_refused(env, assignee, text, field):
    """An unknown assignee or an over-long text is refused under its field and nothing is saved."""
    answer = _failed_answer(env)
    with pytest.raises(ChecklistError) as e:
        services.raise_task(_site(env), _user(env.lead), answer, assignee, text, "idemkey0002")
    assert e.value.field == field and count_rows(Task) == 0


def test_only_a_failed_item_raises_a_task(env):
    """An item answered OK raises no task."""
    site = _site(env)
    tpl = template(env.site, "insp_water_bar")
    ok = services.answer_area(site, _user(env.lead), tpl, "", tpl.active_items[0], "1", None, None)
    with pytest.raises(ChecklistError):
        services.raise_task(site, _user(env.lead), ok, "water_bar", "检查", "idemkey0003")
    assert count_rows(Task) == 0


def test_tasks_by_post_and_done_once(env):
    """A post sees its own open tasks, the lead sees all; marking done twice records it once."""
    answer = _failed_answer(env)
    site, lead = _site(env), _user(env.lead)
    bar_task = services.raise_task(site, lead, answer, "water_bar", "重新擦台面", "idemkey0004")
    services.raise_task(site, lead, answer, "cleaner", "拖地", "idemkey0005")
    wb, mr = _user(env.staff["water_bar"]), _user(env.staff["model_room"])
    assert [t.id for t in reads.my_tasks(site, wb)] == [bar_task.id]
    assert reads.my_tasks(site, mr) == []
    assert len(reads.my_tasks(site, lead)) == 2
    assert services.can_close(wb, bar_task) and not services.can_close(mr, bar_task)
    services.mark_done(site, wb, bar_task)
    again = services.mark_done(site, lead, bar_task)
    assert again.done_by_id == wb.id and again.status == "done"
    assert count_rows(AuditLog, AuditLog.action == "done") == 1
    assert reads.my_tasks(site, wb) == [] and [t.id for t in reads.recently_done(site, wb)] == [bar_task.id]


def test_board_summary_counts(env):
    """Grooming x of y on duty, rounds done / missed / to do, and open tasks, for the lead's board."""
    site = _site(env)
    _groom_all(env, env.staff["water_bar"])
    services.complete_grooming(site, _user(env.lead), _user(env.staff["water_bar"]), template(env.site, "grooming"))
    _groom_all(env, env.staff["model_room"])  # started, not completed: not counted
    answer = _failed_answer(env)
    services.raise_task(site, _user(env.lead), answer, "cleaner", "", "idemkey0006")
    s = reads.board_summary(site, env.day, now=_at(site, env.day, 13, 0))
    assert s["on_duty"] == 5 and s["groomed"] == 1  # four staff and the lead
    assert s["rounds"] == 8 and s["inspections"]["done"] == 0
    assert s["inspections"]["missed"] == 6 and s["inspections"]["to_do"] == 2  # 15:00 and 17:00
    assert s["open_tasks"] == 1


# The editor


def test_editor_saves_times_area_and_posts(env):
    """The manager sets round times (normalised), an area and a grooming list's posts."""
    site = _site(env)
    tpl = template(env.site, "grooming_security")
    saved = editor.save_template(site, tpl, name=tpl.name, name_en=tpl.name_en, kind="grooming", post="lead",
                                 due_time=None, active=True, times="", location_id=None,
                                 for_posts=["security", "concierge"])
    assert saved.for_posts == "concierge,security"
    bar = db.session.scalar(select(Location).where(Location.site_id == env.site, Location.kind == "water_bar"))
    new = editor.save_template(site, None, name="吧台巡检", name_en=None, kind="inspection", post="water_bar",
                               due_time=None, active=True, times="15:00，9:30 15:00", location_id=bar.id,
                               for_posts=["security"])
    assert new.times == "09:30,15:00" and new.location_id == bar.id and new.for_posts is None


@pytest.mark.parametrize("times,loc,field", [("25:00", None, "times"), ("十点", None, "times"),
                                             ("", "other", "location_id")])
def test_editor_refuses_bad_times_and_other_sites_areas(env, times, loc, field):
    """Times that are not times, or an area of another site, are refused under their field."""
    other = make_site()
    loc_id = db.session.scalar(select(Location.id).where(Location.site_id == other.id)) if loc else None
    before = count_rows(ChecklistTemplate)
    with pytest.raises(ChecklistError) as e:
        editor.save_template(_site(env), None, name="新检查", name_en=None, kind="inspection", post="lead",
                             due_time=None, active=True, times=times, location_id=loc_id)
    assert e.value.field == field and count_rows(ChecklistTemplate) == before


def test_editor_without_new_arguments_keeps_them(env):
    """A caller that does not pass times/area/posts leaves them as they are."""
    lounge = template(env.site, "lounge_rounds")
    editor.save_template(_site(env), lounge, name="休息室巡检", name_en=None, kind="inspection", post="lead",
                         due_time=None, active=True)
    assert template(env.site, "lounge_rounds").times == "10:00,12:00,15:00,17:00"


def test_a_post_given_the_lounge_rounds_fills_them(env):
    """When the manager gives the lounge rounds to the water bar, its people see and fill them; others do not."""
    site = _site(env)
    lounge = template(env.site, "lounge_rounds")
    editor.save_template(site, lounge, name=lounge.name, name_en=lounge.name_en, kind="inspection",
                         post="water_bar", due_time=None, active=True)
    wb, mr = _user(env.staff["water_bar"]), _user(env.staff["model_room"])
    rounds = routines.today_panel(site, wb)["own_rounds"]
    assert [(s.template.id, s.slot) for s in rounds] == [(lounge.id, t) for t in ("10:00", "12:00", "15:00", "17:00")]
    assert "own_rounds" not in routines.today_panel(site, mr)
    assert services.can_fill(wb, lounge) and not services.can_fill(mr, lounge)
    assert services.can_fill(_user(env.lead), lounge)
