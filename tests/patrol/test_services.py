"""Patrol rules: refusals recorded once, a scan all normal or with a problem, a required photo, a checkpoint once a
round, double taps and two phones, the proof-of-presence flags, a round completed, a problem passed on as an
incident or a morning task, and the night report (its query count too)."""
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from hospitality import photos
from hospitality.checklists import reads as checklists
from hospitality.clock import travel_to
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import AuditLog, ChecklistRun, Site
from hospitality.models.incidents import Incident, IncidentPhoto
from hospitality.models.patrol import Checkpoint, PatrolScan
from hospitality.patrol import reads, services
from hospitality.patrol.services import PatrolError, PatrolErrors, ScanRefused, Where
from tests.factories import Upload, make_site, patrol_env, png, site_of, who
from tests.harness import count_rows, counting, in_threads

LAT, LNG = 22.5431, 114.0579  # a checkpoint's position (Shenzhen)
DEG_PER_100M = 100 / 111_195  # degrees of latitude in 100 metres


@pytest.fixture
def env(app):
    with app.app_context():
        return patrol_env(app)


def cp(env, i: int = 0) -> Checkpoint:
    return db.session.get(Checkpoint, env.points[i], populate_existing=True)


def moment(env, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return env.at(hh, mm) + timedelta(seconds=ss)


def admit_at(env, hh: int, mm: int = 0, ss: int = 0, *, i: int = 0, user: str = "guard", checkpoint="point"):
    """Admit a scan of the i-th checkpoint (or of `checkpoint`) by `user` at hh:mm:ss of the env's night."""
    with travel_to(moment(env, hh, mm, ss), frozen=True):
        return services.admit(site_of(env), who(env, user), cp(env, i) if checkpoint == "point" else checkpoint)


def scan_at(env, hh: int, mm: int = 0, ss: int = 0, *, i: int = 0, user: str = "guard", ok="1", admitted=None,
            **kw) -> tuple[PatrolScan, bool]:
    """The i-th checkpoint scanned by `user` at hh:mm:ss of the env's night (admitted then, unless given)."""
    admitted = admitted or admit_at(env, hh, mm, ss, i=i, user=user)
    with travel_to(moment(env, hh, mm, ss), frozen=True):
        return services.scan(site_of(env), who(env, user), admitted, ok=ok, **kw)


def scans(*where) -> list[PatrolScan]:
    return list(db.session.scalars(select(PatrolScan).where(*where).order_by(PatrolScan.id)))


def run_of(env, slot: str) -> ChecklistRun | None:
    db.session.expire_all()
    return checklists.find_run(reads.template(env.site), env.night, slot)


def refused(env, reason: str) -> list[PatrolScan]:
    return scans(PatrolScan.site_id == env.site, PatrolScan.status == "refused", PatrolScan.refusal == reason)


# Refusals


def test_an_unknown_code_is_refused_and_recorded_once(ctx, env):
    """No checkpoint (a made-up token) or a retired one: "unknown", one refused row, not again on a reload."""
    for _ in range(2):  # a reload a few seconds later
        with pytest.raises(ScanRefused) as e:
            admit_at(env, 23, 40, checkpoint=None)
        assert e.value.reason == "unknown"
    [row] = refused(env, "unknown")
    assert (row.user_id, row.checkpoint_id, row.run_id, row.day) == (env.users["guard"], None, None, env.night)
    assert count_rows(AuditLog, AuditLog.action == "refuse_scan") == 1
    with write_tx():
        cp(env, 1).active = False
    with pytest.raises(ScanRefused) as e:
        admit_at(env, 23, 41, i=1)
    assert e.value.reason == "unknown"
    assert len(refused(env, "unknown")) == 1  # the same refusal of the same person within two minutes
    with pytest.raises(ScanRefused):
        admit_at(env, 23, 45, checkpoint=None)
    assert len(refused(env, "unknown")) == 2  # later: recorded again
    assert count_rows(PatrolScan, PatrolScan.status != "refused") == 0


def test_another_sites_checkpoint_is_refused(ctx, env):
    """A code of another sales centre: "other_site", recorded on this site, the other site's checkpoint not named."""
    other = make_site()
    theirs = db.session.scalar(select(Checkpoint).where(Checkpoint.site_id == other.id).limit(1))
    for _ in range(2):
        with pytest.raises(ScanRefused) as e:
            admit_at(env, 23, 40, checkpoint=theirs)
        assert e.value.reason == "other_site"
    [row] = refused(env, "other_site")
    assert row.checkpoint_id is None and row.site_id == env.site
    assert count_rows(PatrolScan, PatrolScan.site_id == other.id) == 0


def test_no_round_open_is_refused_and_recorded_on_its_night(ctx, env):
    """At noon no round is open: "no_round", recorded once with the checkpoint, on the night that ended."""
    for ss in (0, 30):
        with pytest.raises(ScanRefused) as e:
            admit_at(env, 11, 0, ss, i=2)
        assert e.value.reason == "no_round"
    [row] = refused(env, "no_round")
    assert (row.checkpoint_id, row.slot, row.day) == (env.points[2], "", env.night)


def test_someone_off_the_night_roster_is_refused(ctx, env):
    """A guard not rostered tonight (and the water bar): "not_rostered", recorded once each with the round."""
    for user in ("off", "off", "bar"):
        with pytest.raises(ScanRefused) as e:
            admit_at(env, 23, 40, user=user)
        assert e.value.reason == "not_rostered"
    rows = refused(env, "not_rostered")
    assert [(r.user_id, r.slot, r.day, r.checkpoint_id) for r in rows] == [
        (env.users["off"], "23:30", env.night, env.points[0]), (env.users["bar"], "23:30", env.night, env.points[0])]
    admitted = admit_at(env, 23, 40, user="guard2")  # the other rostered guard is admitted
    assert (admitted.day, admitted.round.slot, admitted.checkpoint.id) == (env.night, "23:30", env.points[0])


def test_a_refusal_after_midnight_belongs_to_the_night(ctx, env):
    """An unknown code scanned at 02:10 is recorded on the night that started the evening before (its report)."""
    with pytest.raises(ScanRefused):
        admit_at(env, 2, 10, checkpoint=None)
    [row] = refused(env, "unknown")
    assert row.day == env.night
    report = reads.night_report(site_of(env), reads.template(env.site), env.night, moment(env, 3, 0))
    assert [r.id for r in report.refused] == [row.id]


# Scans


def test_all_normal_is_recorded_in_the_open_round(ctx, env):
    """One tap: status ok, the night and round, the round's run started, audited; the round is not done yet."""
    row, new = scan_at(env, 23, 40)
    assert new
    row = db.session.get(PatrolScan, row.id)
    run = run_of(env, "23:30")
    assert (row.status, row.day, row.slot, row.run_id, row.checkpoint_id, row.method, row.problem) == (
        "ok", env.night, "23:30", run.id, env.points[0], "scan", None)
    assert run.completed_at is None
    assert count_rows(AuditLog, AuditLog.action == "scan", AuditLog.entity_id == env.points[0]) == 1


def test_a_problem_needs_what_is_wrong_and_a_note(ctx, env):
    """"Problem" without a kind or a note: both fields are named and nothing is saved (no scan, no run)."""
    admitted = admit_at(env, 23, 40)
    with travel_to(moment(env, 23, 40), frozen=True):
        with pytest.raises(PatrolErrors) as e:
            services.scan(site_of(env), who(env, "guard"), admitted, ok="0", problem="", note="  ")
        assert set(e.value.errors) == {"problem", "note"}
        with pytest.raises(PatrolErrors) as e:
            services.scan(site_of(env), who(env, "guard"), admitted, ok="0", problem="ghost", note="灯没关")
        assert set(e.value.errors) == {"problem"}
        with pytest.raises(PatrolErrors) as e:
            services.scan(site_of(env), who(env, "guard"), admitted, ok=None)
        assert set(e.value.errors) == {"ok"}
        with pytest.raises(PatrolErrors) as e:
            services.scan(site_of(env), who(env, "guard"), admitted, ok="0", problem="lights", note="x" * 501)
        assert set(e.value.errors) == {"note"}
    assert count_rows(PatrolScan) == 0 and count_rows(ChecklistRun) == 0
    row, _new = scan_at(env, 23, 41, ok="0", problem="lights", note="大堂灯没关")
    row = db.session.get(PatrolScan, row.id)
    assert (row.status, row.problem, row.note) == ("problem", "lights", "大堂灯没关")
    assert run_of(env, "23:30").failed_count == 1


def test_a_checkpoint_that_requires_a_photo_needs_one(ctx, env, app):
    """Without a photo: the photo field's error and nothing saved; with one: stored and named on the scan."""
    with write_tx():
        cp(env).require_photo = True
    with pytest.raises(PatrolErrors) as e:
        scan_at(env, 23, 40)
    assert set(e.value.errors) == {"photo"}
    assert count_rows(PatrolScan) == 0
    row, new = scan_at(env, 23, 41, photo=Upload(png(), "p.png"))
    assert new and row.photo
    assert (photos.folder(services.PHOTO_KIND) / row.photo).exists()
    row, _new = scan_at(env, 23, 42, i=1)  # a checkpoint without the rule needs none
    assert row.photo is None


def test_a_checkpoint_counts_once_a_round(ctx, env):
    """Scanned again in the same round (by anyone): the first scan is returned, not new; the next round counts."""
    first, new = scan_at(env, 23, 40)
    assert new
    again, new = scan_at(env, 23, 50, ok="0", problem="fire", note="有烟味")
    assert (again.id, again.status, new) == (first.id, "ok", False)
    other, new = scan_at(env, 23, 55, user="guard2")
    assert (other.id, new) == (first.id, False)
    later, new = scan_at(env, 0, 40)
    assert new and later.id != first.id and later.slot == "00:30"
    assert count_rows(PatrolScan) == 2


def test_a_double_tap_with_the_same_key_counts_once(ctx, env):
    """The same form sent twice across the hour (its key unchanged): the second finds the first, even in a new
    round; another key is another scan."""
    first, new = scan_at(env, 0, 29, 59, idem_key="tap00000001")
    assert new and first.slot == "23:30"
    again, new = scan_at(env, 0, 30, 1, idem_key="tap00000001")
    assert (again.id, new) == (first.id, False)
    assert count_rows(PatrolScan) == 1
    other, new = scan_at(env, 0, 30, 2, idem_key="tap00000002")
    assert new and other.slot == "00:30"


def test_two_phones_scanning_one_checkpoint_at_once_make_one_row(ctx, env, app):
    """Both rostered guards scan the same checkpoint at the same moment: one scan, the same row for both."""
    db.session.remove()

    def work(i):
        site, user = db.session.get(Site, env.site), who(env, ("guard", "guard2")[i])
        admitted = services.admit(site, user, db.session.get(Checkpoint, env.points[0]))
        row, new = services.scan(site, user, admitted, ok="1")
        return row.id, new

    with travel_to(moment(env, 23, 40), frozen=True):
        results, errors = in_threads(app, 2, work)
    assert not errors, errors
    assert len({r[0] for r in results}) == 1 and sorted(r[1] for r in results) == [False, True]
    assert count_rows(PatrolScan, app=app) == 1


# Proof of presence


def test_a_scan_far_from_the_checkpoint_is_flagged_with_its_distance(ctx, env):
    """The checkpoint placed; a scan 500 m away is "far" with distance_m; one 10 m away is not; nor one whose own
    accuracy is worse than its distance."""
    with write_tx():
        for i in (0, 1, 2):
            cp(env, i).lat, cp(env, i).lng = LAT, LNG
    far, _new = scan_at(env, 23, 40, where=Where(LAT + 5 * DEG_PER_100M, LNG, 20))
    assert "far" in far.flag_list and 495 <= far.distance_m <= 505
    near, _new = scan_at(env, 23, 50, i=1, where=Where(LAT + 0.1 * DEG_PER_100M, LNG, 20))
    assert near.flag_list == [] and near.distance_m == 10
    vague, _new = scan_at(env, 23, 59, i=2, where=Where(LAT + 2 * DEG_PER_100M, LNG, 300))
    assert "far" not in vague.flag_list and vague.distance_m == 200


def test_no_position_is_flagged(ctx, env):
    """The browser gave no position: "no_position", no distance."""
    row, _new = scan_at(env, 23, 40)
    assert row.flag_list == ["no_position"] and row.distance_m is None


def test_two_checkpoints_seconds_apart_are_flagged_fast(ctx, env):
    """Without positions: two checkpoints 5 s apart are "fast", 20 s apart are not."""
    scan_at(env, 23, 40)
    second, _new = scan_at(env, 23, 40, 5, i=1)
    assert sorted(second.flag_list) == ["fast", "no_position"]
    third, _new = scan_at(env, 23, 40, 25, i=2)
    assert third.flag_list == ["no_position"]


def test_faster_than_walking_between_positions_is_flagged_fast(ctx, env):
    """With positions: 300 m in 10 s is "fast"; 300 m in 200 s is a walk."""
    scan_at(env, 23, 40, where=Where(LAT, LNG, 10))
    second, _new = scan_at(env, 23, 40, 10, i=1, where=Where(LAT + 3 * DEG_PER_100M, LNG, 10))
    assert second.flag_list == ["fast"]
    third, _new = scan_at(env, 23, 43, 30, i=2, where=Where(LAT + 6 * DEG_PER_100M, LNG, 10))
    assert third.flag_list == []


# A round done


def test_a_round_completes_when_every_active_checkpoint_is_scanned(ctx, env):
    """The last active checkpoint (a retired one not needed) completes the round's run: done in its window."""
    with write_tx():
        cp(env, len(env.points) - 1).active = False
    for i in range(len(env.points) - 2):
        scan_at(env, 23, 40, i * 30, i=i)
    assert run_of(env, "23:30").completed_at is None
    scan_at(env, 23, 59, i=len(env.points) - 2, user="guard2")
    run = run_of(env, "23:30")
    assert run.completed_at is not None and run.completed_by_id == env.users["guard2"]
    states = {s.slot: s.state for s in checklists.day_status(site_of(env), env.night, [reads.template(env.site)],
                                                             moment(env, 1, 0))}
    assert states["23:30"] == "done"


def test_a_round_finished_after_its_window_is_late(ctx, env):
    """The last checkpoint's form opened at 00:29 and sent at 00:31: the round completes late."""
    for i in range(len(env.points) - 1):
        scan_at(env, 0, 0, i * 30, i=i)
    last = admit_at(env, 0, 29, i=len(env.points) - 1)
    scan_at(env, 0, 31, admitted=last)
    assert run_of(env, "23:30").completed_at is not None
    states = {s.slot: s.state for s in checklists.day_status(site_of(env), env.night, [reads.template(env.site)],
                                                             moment(env, 1, 0))}
    assert states["23:30"] == "late"


# A problem passed on


def test_a_fire_hazard_becomes_one_urgent_incident_at_the_checkpoints_place(ctx, env):
    """The incident: kind fire, urgent, at the checkpoint's place, with the scan's photo; a second tap finds it."""
    row, _new = scan_at(env, 23, 40, i=7, ok="0", problem="fire", note="配电房有焦味", photo=Upload(png(), "f.png"))
    incident = services.to_incident(site_of(env), who(env, "guard"), db.session.get(PatrolScan, row.id))
    assert (incident.kind, incident.level, incident.location_id) == ("fire", "urgent", cp(env, 7).location_id)
    assert "配电房有焦味" in incident.description
    assert count_rows(IncidentPhoto, IncidentPhoto.incident_id == incident.id) == 1
    again = services.to_incident(site_of(env), who(env, "guard2"), db.session.get(PatrolScan, row.id,
                                                                                  populate_existing=True))
    assert again.id == incident.id and count_rows(Incident) == 1
    assert db.session.get(PatrolScan, row.id, populate_existing=True).incident_id == incident.id
    with pytest.raises(PatrolError):  # passed on already: not a morning task too
        services.to_morning(site_of(env), who(env, "guard"), db.session.get(PatrolScan, row.id))


def test_lights_left_on_become_a_note_level_incident(ctx, env):
    """A problem that is no fire hazard becomes an incident of its kind at note level; an all-normal scan none."""
    row, _new = scan_at(env, 23, 40, ok="0", problem="power", note="水龙头没关")
    incident = services.to_incident(site_of(env), who(env, "guard"), db.session.get(PatrolScan, row.id))
    assert (incident.kind, incident.level) == ("utility", "note")
    fine, _new = scan_at(env, 23, 50, i=1)
    with pytest.raises(PatrolError):
        services.to_incident(site_of(env), who(env, "guard"), db.session.get(PatrolScan, fine.id))
    assert count_rows(Incident) == 1


def test_a_morning_task_shows_until_it_is_marked_done(ctx, env):
    """Left for the morning: listed as open; marked done with a note: gone from the list, a second tap changes
    nothing; it cannot then become an incident."""
    row, _new = scan_at(env, 23, 40, ok="0", problem="ac", note="洽谈区空调没关")
    site = site_of(env)
    services.to_morning(site, who(env, "guard"), db.session.get(PatrolScan, row.id))
    services.to_morning(site, who(env, "guard"), db.session.get(PatrolScan, row.id))  # a double tap
    assert [t.id for t in reads.open_tasks(env.site)] == [row.id]
    with pytest.raises(PatrolError):
        services.to_incident(site, who(env, "guard"), db.session.get(PatrolScan, row.id, populate_existing=True))
    with pytest.raises(PatrolError) as e:
        services.finish_task(site, who(env, "lead"), db.session.get(PatrolScan, row.id), "x" * 501)
    assert e.value.field == "note"
    with travel_to(moment(env, 9, 0), frozen=True):
        services.finish_task(site, who(env, "lead"), db.session.get(PatrolScan, row.id), " 已关空调 ")
    done = db.session.get(PatrolScan, row.id, populate_existing=True)
    assert (done.task_note, done.task_done_by_id) == ("已关空调", env.users["lead"])
    stamped = done.task_done_at
    services.finish_task(site, who(env, "guard"), done, "又关了一次")
    done = db.session.get(PatrolScan, row.id, populate_existing=True)
    assert (done.task_done_at, done.task_done_by_id, done.task_note) == (stamped, env.users["lead"], "已关空调")
    assert reads.open_tasks(env.site) == []
    fine, _new = scan_at(env, 23, 50, i=1)
    with pytest.raises(PatrolError):
        services.finish_task(site, who(env, "lead"), db.session.get(PatrolScan, fine.id), "")


# The night report


def _complete_round(env, hh: int, mm: int) -> None:
    for i in range(len(env.points)):
        scan_at(env, hh, mm + i, i=i)


def test_night_report_counts_rounds_on_time_late_and_missed(ctx, env):
    """17:30 done on time, 18:30 late, 19:30 missed, the rest to come (read at 20:45)."""
    _complete_round(env, 17, 40)
    for i in range(len(env.points) - 1):
        scan_at(env, 18, 40 + i, i=i)
    scan_at(env, 19, 31, admitted=admit_at(env, 19, 29, i=len(env.points) - 1))
    r = reads.night_report(site_of(env), reads.template(env.site), env.night, moment(env, 20, 45).replace(tzinfo=None))
    assert r.counts == {"on_time": 1, "late": 1, "missed": 1, "rounds": 15}
    assert r.never_visited == []
    assert len(r.scans) == 2 * len(env.points) and len(r.round_scans("18:30")) == len(env.points)


def test_night_report_lists_never_visited_problems_refused_and_flagged(ctx, env, app):
    """Checkpoints no round reached, each problem with what became of it, the refused scans, the flagged ones."""
    fire, _new = scan_at(env, 23, 40, i=0, ok="0", problem="fire", note="烟头")
    ac, _new = scan_at(env, 23, 41, i=1, ok="0", problem="ac", note="空调开着")
    open_, _new = scan_at(env, 23, 42, i=2, ok="0", problem="door", note="窗没关")
    fast, _new = scan_at(env, 23, 42, 5, i=3)  # 5 s after the last, without positions: faster than walking
    site = site_of(env)
    incident = services.to_incident(site, who(env, "guard"), db.session.get(PatrolScan, fire.id))
    services.to_morning(site, who(env, "guard"), db.session.get(PatrolScan, ac.id))
    with pytest.raises(ScanRefused):
        admit_at(env, 23, 45, user="off")
    r = reads.night_report(site_of(env), reads.template(env.site), env.night, moment(env, 8, 40).replace(tzinfo=None))
    assert [p.id for p in r.never_visited] == env.points[4:]
    outcome = {p.id: (p.problem, p.incident_id, p.incident_status, p.morning_task) for p in r.problems}
    assert outcome == {fire.id: ("fire", incident.id, "open", False), ac.id: ("ac", None, None, True),
                       open_.id: ("door", None, None, False)}
    assert [(s.guard, s.refusal) for s in r.refused] == [(who(env, "off").name, "not_rostered")]
    flagged = [s.id for s in r.flagged]  # far or fast; "no position" alone is not a flag
    assert fast.id in flagged and fire.id not in flagged and "fast" not in fire.flags
    assert r.counts["missed"] == 15 and r.counts["on_time"] == 0


def test_night_report_reads_the_same_number_of_queries_for_1_or_15_rounds(ctx, env, app):
    """A night with one round of scans and one with fifteen (problems passed on, refusals): same query count."""
    night_moment = moment(env, 8, 40).replace(tzinfo=None)

    def queries() -> int:
        db.session.expire_all()
        site, patrol = site_of(env), reads.template(env.site)
        with counting(app) as seen:
            r = reads.night_report(site, patrol, env.night, night_moment)
        assert r.scans
        return len(seen)

    def round_of_scans(hh: int) -> None:
        scan_at(env, hh, 35, i=0)
        problem, _new = scan_at(env, hh, 40, i=1, ok="0", problem="lights", note="灯亮着")
        services.to_morning(site_of(env), who(env, "guard"), db.session.get(PatrolScan, problem.id))

    round_of_scans(17)
    one = queries()
    for hh in (18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7):
        round_of_scans(hh)
    with pytest.raises(ScanRefused):
        admit_at(env, 23, 45, user="off")
    fifteen = queries()
    assert count_rows(PatrolScan, PatrolScan.status != "refused") == 30
    assert fifteen == one, (one, fifteen)
    if db.session.get_bind().dialect.name == "postgresql":
        assert one == 1  # the rounds' runs, the scans and the checkpoints: one statement


def test_night_report_of_another_site_is_its_own(ctx, env):
    """Another site's scans on the same night are not in this site's report."""
    scan_at(env, 23, 40)
    other = make_site()
    r = reads.night_report(db.session.get(Site, other.id), reads.template(other.id), env.night,
                           datetime.combine(env.night + timedelta(days=1), time(8, 40)))
    assert r.scans == [] and len(r.never_visited) == count_rows(Checkpoint, Checkpoint.site_id == other.id)
