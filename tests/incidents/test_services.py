"""Incident rules: report (checked, photos cleaned, a double tap once), acknowledge, act, hand over, close; drills."""
import io
from datetime import datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from hospitality import photos
from hospitality.extensions import db
from hospitality.incidents import reads, services
from hospitality.incidents.services import IncidentError
from hospitality.models import AuditLog, Site, User
from hospitality.models.incidents import Drill, DrillPerson, Incident, IncidentEvent, IncidentPhoto
from hospitality.visits import services as visits
from tests.factories import Upload, location, make_incident, png, site_of, visit_env, who
from tests.harness import count_rows, in_threads


@pytest.fixture
def env(app):
    return visit_env(app)


def incident(incident_id: int) -> Incident:
    return db.session.get(Incident, incident_id, populate_existing=True)


def events(incident_id: int) -> list[str]:
    return list(db.session.scalars(select(IncidentEvent.kind).where(IncidentEvent.incident_id == incident_id)
                                   .order_by(IncidentEvent.id)))


def jpeg_with_gps() -> io.BytesIO:
    """A JPEG carrying EXIF with a GPS position, as a phone camera writes it."""
    img = Image.new("RGB", (60, 40), (10, 120, 200))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (22.0, 32.0, 0.0)}  # GPSInfo
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    buf.seek(0)
    return buf


def test_report_records_the_incident_its_timeline_and_the_audit(ctx, env):
    """The water bar reports an urgent leak at the bar: kind, place, level, text, reporter, a "reported" step."""
    i = make_incident(env.site, env.users["water_bar"], kind="utility", level="urgent", where="water_bar",
                      description="水吧台下漏水")
    i = incident(i.id)
    assert (i.kind, i.level, i.status, i.description) == ("utility", "urgent", "open", "水吧台下漏水")
    assert i.location_id == location(env.site).id and i.reported_by_id == env.users["water_bar"]
    assert events(i.id) == ["reported"]
    assert count_rows(AuditLog, AuditLog.action == "report", AuditLog.entity_id == i.id) == 1


def test_every_wrong_field_is_reported_at_once_and_nothing_is_saved(ctx, env):
    """No kind, another site's place, an unknown level, no text: each has its message, and nothing is written."""
    with pytest.raises(services.IncidentErrors) as e:
        services.report(site_of(env), who(env, "security"), kind="ghost", location_id=location(env.other).id,
                        level="panic", description="  ")
    assert set(e.value.errors) == {"kind", "location_id", "level", "description"}
    assert count_rows(Incident) == 0 and count_rows(IncidentEvent) == 0


def test_text_over_the_limit_is_refused_not_cut(ctx, env):
    """What happened is at most 1000 characters: one more is refused under the field."""
    with pytest.raises(services.IncidentErrors) as e:
        make_incident(env.site, env.users["security"], description="字" * 1001)
    assert "description" in e.value.errors
    assert make_incident(env.site, env.users["security"], description="字" * 1000).description == "字" * 1000


def test_a_visit_of_another_site_cannot_be_tied(ctx, env):
    """An incident tied to a visit: the site's own (kept), another site's refused under the field."""
    other = visits.record_arrival(db.session.get(Site, env.other), db.session.get(User, env.other_guard), 2, False,
                                  None, None)
    with pytest.raises(services.IncidentErrors) as e:
        make_incident(env.site, env.users["security"], visit_id=other.id)
    assert set(e.value.errors) == {"visit_id"}
    mine = visits.record_arrival(site_of(env), who(env, "security"), 3, False, None, None)
    assert make_incident(env.site, env.users["concierge"], kind="quarrel", visit_id=mine.id).visit_id == mine.id


def test_a_double_tap_records_one_incident(ctx, env):
    """The same form sent twice (its idempotency key) is one incident with one "reported" step."""
    first = make_incident(env.site, env.users["security"], idem_key="tap00000001")
    again = make_incident(env.site, env.users["security"], idem_key="tap00000001")
    assert first.id == again.id and count_rows(Incident) == 1 and count_rows(IncidentEvent) == 1


def test_concurrent_double_taps_record_one_incident(app, env):
    """Four requests with the same key at the same moment: one incident."""
    def work(_i):
        return make_incident(env.site, env.users["security"], idem_key="race0000001").id

    results, errors = in_threads(app, 4, work)
    assert not errors and len(set(results)) == 1
    assert count_rows(Incident, app=app) == 1


def test_photos_are_stored_without_exif_and_tied_to_the_step(ctx, env):
    """Two photos from the camera: stored re-encoded (no EXIF, no GPS), each a row of the reported step."""
    i = make_incident(env.site, env.users["model_room"], kind="damage", where="model_room",
                      files=[Upload(jpeg_with_gps(), "a.jpg"), Upload(png(), "b.png")])
    rows = db.session.scalars(select(IncidentPhoto).where(IncidentPhoto.incident_id == i.id)).all()
    assert len(rows) == 2
    for p in rows:
        stored = Image.open(photos.folder(services.PHOTO_KIND) / p.name)
        assert stored.format == "JPEG" and not stored.getexif()
    [step] = reads.timeline(i.id)
    assert step.kind == "reported" and step.photos == tuple(p.id for p in rows)


def test_a_file_that_is_not_a_photo_is_refused_and_nothing_is_kept(ctx, env):
    """A text file among the photos: refused under the photos field, no incident, no file left behind."""
    before = set(photos.folder(services.PHOTO_KIND).iterdir())
    with pytest.raises(IncidentError) as e:
        make_incident(env.site, env.users["security"],
                      files=[Upload(png(), "ok.png"), Upload(io.BytesIO(b"not an image"), "x.txt")])
    assert e.value.field == "photos"
    assert count_rows(Incident) == 0 and set(photos.folder(services.PHOTO_KIND).iterdir()) == before


def test_a_photo_over_the_limit_is_refused(ctx, env):
    """Over 5 MB is refused with its message; so are more than four photos at once."""
    big = io.BytesIO(b"\xff\xd8" + b"0" * (photos.MAX_BYTES + 10))
    with pytest.raises(IncidentError) as e:
        make_incident(env.site, env.users["security"], files=[Upload(big, "big.jpg")])
    assert e.value.field == "photos" and "5 MB" in e.value.message
    with pytest.raises(services.IncidentErrors) as e:
        make_incident(env.site, env.users["security"], files=[Upload(png(), f"{n}.png") for n in range(5)])
    assert set(e.value.errors) == {"photos"}
    assert count_rows(Incident) == 0


def test_acknowledge_keeps_who_and_when_once(ctx, env):
    """The lead acknowledges: who and when are kept, a step is added; a second tap changes nothing."""
    i = make_incident(env.site, env.users["water_bar"], level="urgent")
    assert services.acknowledge(site_of(env), who(env, "lead"), i) is True
    assert services.acknowledge(site_of(env), who(env, "manager"), incident(i.id)) is False
    i = incident(i.id)
    assert i.acknowledged_by_id == env.users["lead"] and i.acknowledged_at is not None
    assert events(i.id) == ["reported", "acknowledged"]


def test_who_may_acknowledge(ctx, env):
    """The water bar may not; nor may the guard who reported it (someone else must have seen it)."""
    i = make_incident(env.site, env.users["security"], level="urgent")
    with pytest.raises(IncidentError):
        services.acknowledge(site_of(env), who(env, "water_bar"), i)
    with pytest.raises(IncidentError):
        services.acknowledge(site_of(env), who(env, "security"), i)
    assert incident(i.id).acknowledged_at is None


def test_concurrent_acknowledgements_record_one(app, env):
    """The lead, the manager and a guard tap at the same moment: one acknowledgement, one step."""
    with app.app_context():
        i = make_incident(env.site, env.users["water_bar"], level="urgent").id

    def work(n):
        person = who(env, ("lead", "manager", "security")[n])
        return services.acknowledge(site_of(env), person, db.session.get(Incident, i))

    results, errors = in_threads(app, 3, work)
    assert not errors and sorted(results) == [False, False, True]
    assert count_rows(IncidentEvent, IncidentEvent.kind == "acknowledged", app=app) == 1


def test_actions_by_the_reporter_and_security_not_by_others(ctx, env):
    """The water bar adds to what it reported, security to anything; the concierge not to someone else's."""
    i = make_incident(env.site, env.users["water_bar"])
    services.add_action(site_of(env), who(env, "water_bar"), i, "已通知保安", [Upload(png(), "p.png")])
    services.add_action(site_of(env), who(env, "security"), i, "已劝离")
    with pytest.raises(IncidentError):
        services.add_action(site_of(env), who(env, "concierge"), i, "看到了")
    with pytest.raises(services.IncidentErrors) as e:
        services.add_action(site_of(env), who(env, "security"), i, " ")
    assert set(e.value.errors) == {"note"}
    steps = reads.timeline(i.id)
    assert [s.kind for s in steps] == ["reported", "action", "action"] and len(steps[1].photos) == 1


def test_hand_over_then_close_with_the_outcome(ctx, env):
    """Handed to the police it waits on them; the manager closes it with the outcome; then nothing more is added."""
    i = make_incident(env.site, env.users["security"], kind="theft")
    with pytest.raises(services.IncidentErrors):
        services.hand_over(site_of(env), who(env, "security"), i, "army", None)
    services.hand_over(site_of(env), who(env, "security"), i, "police", "报警回执 2026-118", "hand00000001")
    services.hand_over(site_of(env), who(env, "security"), i, "police", "报警回执 2026-118", "hand00000001")
    assert (incident(i.id).status, incident(i.id).handed_to) == ("handed", "police")
    with pytest.raises(IncidentError):
        services.close(site_of(env), who(env, "security"), incident(i.id), "已结案")
    with pytest.raises(IncidentError) as e:
        services.close(site_of(env), who(env, "manager"), incident(i.id), "")
    assert e.value.field == "outcome"
    services.close(site_of(env), who(env, "manager"), incident(i.id), "警方已找回手机")
    services.close(site_of(env), who(env, "manager"), incident(i.id), "再点一次")
    i = incident(i.id)
    assert (i.status, i.outcome, i.closed_by_id) == ("closed", "警方已找回手机", env.users["manager"])
    assert events(i.id) == ["reported", "handed", "closed"]
    with pytest.raises(IncidentError):
        services.add_action(site_of(env), who(env, "security"), i, "补充")


def test_open_incidents_leave_the_list_when_closed(ctx, env):
    """The open list (today screens, security's handover) holds what is not closed, newest first."""
    a = make_incident(env.site, env.users["security"])
    b = make_incident(env.site, env.users["security"], kind="fire")
    c = make_incident(env.site, env.users["security"], kind="other")
    services.close(site_of(env), who(env, "lead"), a, "已处理")
    assert [r.id for r in reads.open_incidents(env.site)] == [c.id, b.id]


def test_month_counts_follow_the_sites_calendar(ctx, env):
    """An incident at 23:30 on 31 March in Shanghai (15:30 UTC) counts for March, per kind."""
    for at, kind in ((datetime(2026, 3, 31, 15, 30), "fire"), (datetime(2026, 3, 31, 16, 30), "fire"),
                     (datetime(2026, 1, 5, 2), "theft")):
        i = make_incident(env.site, env.users["security"], kind=kind)
        incident(i.id).reported_at = at
    db.session.commit()
    table = reads.month_counts(site_of(env), 2026)
    assert table["fire"][2:4] == [1, 1] and table["theft"][0] == 1 and sum(table["theft"]) == 1


def test_a_drill_is_recorded_with_who_took_part(ctx, env):
    """Day, kind, people of the site and others, notes; a double tap once; future days and strangers refused."""
    s, boss = site_of(env), who(env, "manager")
    today = s.today().isoformat()
    d = services.record_drill(s, boss, day=today, kind="fire", people=[str(env.users["security"]),
                                                                         str(env.users["water_bar"])],
                              others="物业保洁两人", notes="灭火器使用演示", idem_key="drill0000001")
    again = services.record_drill(s, boss, day=today, kind="fire", people=[], others="x", notes=None,
                                  idem_key="drill0000001")
    assert again.id == d.id and count_rows(Drill) == 1 and count_rows(DrillPerson) == 2
    with pytest.raises(services.IncidentErrors) as e:
        services.record_drill(s, boss, day=(s.today() + timedelta(days=1)).isoformat(), kind="flood",
                              people=[str(env.other_guard)], others=None, notes=None)
    assert set(e.value.errors) == {"day", "kind", "people"}
    with pytest.raises(services.IncidentErrors) as e:
        services.record_drill(s, boss, day=today, kind="fire", people=[], others=" ", notes=None)
    assert set(e.value.errors) == {"people"}
    with pytest.raises(IncidentError):
        services.record_drill(s, who(env, "security"), day=today, kind="fire", people=[], others="x", notes=None)
    [row] = reads.drills(env.site, s.today(), s.today())
    assert row.kind == "fire" and len(row.people) == 2 and row.others == "物业保洁两人"


def test_concurrent_double_taps_record_one_action_and_one_hand_over(app, env):
    """An action and a hand-over each sent four times at once with one key: one step each, no error (on
    PostgreSQL the later requests wait on the incident's lock, then find the first one's step)."""
    with app.app_context():
        i = make_incident(env.site, env.users["water_bar"], level="urgent").id

    def act(_n):
        return services.add_action(site_of(env), who(env, "security"), db.session.get(Incident, i), "已处理",
                                   idem_key="act00000001").id

    def hand(_n):
        return services.hand_over(site_of(env), who(env, "lead"), db.session.get(Incident, i), "police", "110",
                                  idem_key="hand0000001").id

    for work, kind in ((act, "action"), (hand, "handed")):
        results, errors = in_threads(app, 4, work)
        assert not errors and len(set(results)) == 1
        assert count_rows(IncidentEvent, IncidentEvent.kind == kind, app=app) == 1
