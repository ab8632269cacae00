"""Patrol rules: a scan at a checkpoint (or a tap when its code is damaged), the refusals, what becomes of a problem
found, and the manager's checkpoints. One transaction per action.

A scan counts in the round open at that moment (the checklist engine's schedule of the site's patrol), once per
checkpoint and round, and only from someone on that night's roster. Proof of presence is kept, never enforced: the
phone's position when the browser gives it (a scan far from the checkpoint's position is flagged), scans faster
than a person walks are flagged, and a checkpoint may require a photo taken at the scan.
"""
import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import FileStorage

from .. import fields, idempotency, photos
from ..audit import record
from ..checklists import reads as checklists
from ..checklists.services import locked_round
from ..clock import utcnow
from ..database import next_position, write_tx
from ..errors import FieldErrors, RuleError
from ..extensions import db
from ..i18n import text as _
from ..incidents import services as incidents
from ..models import ChecklistTemplate, Location, Site, User
from ..models.patrol import INCIDENT_KIND, PROBLEMS, Checkpoint, PatrolScan
from . import reads
from .seed import seed_patrol

PHOTO_KIND = "patrol"  # folder of hospitality.photos
MAX_NOTE = 500
FAR_METRES = 80  # a scan further than this (or than the phone's own accuracy, if worse) from the checkpoint
WALK_SPEED = 3.0  # metres a second: a brisk walk; faster between two checkpoints is flagged
MIN_GAP = timedelta(seconds=15)  # two checkpoints without positions this close in time: flagged
REFUSAL_REPEAT = timedelta(minutes=2)  # the same refusal again this soon (a reload) is not recorded twice


class PatrolError(RuleError):
    """A patrol rule said no (a problem without a note, a missing photo, a checkpoint's edit…)."""


class PatrolErrors(FieldErrors, PatrolError):
    """Several fields of the scan form are wrong at once: every mistake is reported."""


class RoundClosed(PatrolError):
    """A scan kept on the phone without signal arrived after its night was over: nothing is saved (the outbox's 409).

    "Closed" here: the night shift the round belongs to (by the time the scan was made) had ended when the scan
    arrived. Until then a late arrival still counts in its round, on the phone's time (a guard out of signal in the
    car park is neither late nor missed); once the night is over, its report is what the lead and the manager read
    and export in the morning, and a scan arriving then would change a finished report behind their backs."""


class ScanRefused(PatrolError):
    """The scan does not count (not on the night roster, no round open, another site's or no checkpoint)."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


@dataclass
class Where:
    """The phone's position as the browser gave it (all None when it did not)."""
    lat: float | None = None
    lng: float | None = None
    accuracy: float | None = None

    @classmethod
    def parse(cls, form) -> "Where":
        try:
            lat, lng = float(form.get("lat", "")), float(form.get("lng", ""))
        except ValueError:
            return cls()
        if not (-90 <= lat <= 90 and -180 <= lng <= 180) or not (math.isfinite(lat) and math.isfinite(lng)):
            return cls()
        try:
            accuracy = float(form.get("accuracy", ""))
        except ValueError:
            accuracy = None
        return cls(lat, lng, accuracy if accuracy is not None and 0 <= accuracy < 100_000 else None)

    @property
    def known(self) -> bool:
        return self.lat is not None


def metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Distance on the Earth's surface (haversine), in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


MESSAGES = {
    "unknown": lambda: _("This code is not a checkpoint of this sales centre. Nothing was recorded."),
    "other_site": lambda: _("This checkpoint belongs to another sales centre. Nothing was recorded."),
    "no_round": lambda: _("No patrol round is open now. The scan was not counted."),
    "not_rostered": lambda: _("You are not on tonight's night-shift roster. The scan was not counted."),
}


@dataclass
class Admitted:
    """A scan that may count: its checkpoint, the night and round it falls in."""
    checkpoint: Checkpoint
    patrol: ChecklistTemplate
    day: date
    round: checklists.Round


def _refuse(site: Site, user: User, reason: str, *, checkpoint: Checkpoint | None = None, day: date | None = None,
            slot: str = "", method: str = "scan") -> ScanRefused:
    """Record a refused scan (once per reason, checkpoint and person within a couple of minutes) and return the
    error to raise."""
    same_point = (PatrolScan.checkpoint_id.is_(None) if checkpoint is None
                  else PatrolScan.checkpoint_id == checkpoint.id)
    day = day or site.today()
    with write_tx():
        again = db.session.scalar(select(PatrolScan.id).where(
            PatrolScan.site_id == site.id, PatrolScan.day == day, PatrolScan.user_id == user.id,
            PatrolScan.status == "refused",
            PatrolScan.refusal == reason, same_point, PatrolScan.at >= utcnow() - REFUSAL_REPEAT).limit(1))
        if again is None:
            db.session.add(PatrolScan(site_id=site.id, day=day, slot=slot, user_id=user.id,
                                      checkpoint_id=checkpoint.id if checkpoint else None, method=method,
                                      status="refused", refusal=reason))
            record("refuse_scan", "checkpoint", checkpoint.id if checkpoint else None, site_id=site.id,
                   reason=reason)
    return ScanRefused(MESSAGES[reason](), reason)


def admit(site: Site, user: User, checkpoint: Checkpoint | None, method: str = "scan",
          moment: datetime | None = None) -> Admitted:
    """Whether a scan of this checkpoint by this person now may count; raises ScanRefused (recorded) if not."""
    patrol = reads.template(site.id)
    moment = moment or reads.wall_clock(site)
    # Every refusal is recorded on the night it happened in (after midnight: the night before), for its report.
    night = reads.night_of(patrol, moment) if patrol is not None else site.today()
    if checkpoint is None or not checkpoint.active:
        raise _refuse(site, user, "unknown", day=night, method=method)
    if checkpoint.site_id != site.id:
        raise _refuse(site, user, "other_site", day=night, method=method)
    found = checklists.round_at(patrol, moment) if patrol is not None else None
    if found is None:
        raise _refuse(site, user, "no_round", checkpoint=checkpoint, day=night, method=method)
    day, rnd = found
    if not reads.on_night_roster(site.id, user.id, day, patrol.shift_id):
        raise _refuse(site, user, "not_rostered", checkpoint=checkpoint, day=day, slot=rnd.slot, method=method)
    return Admitted(checkpoint, patrol, day, rnd)


def _flags(checkpoint: Checkpoint, where: Where, previous: PatrolScan | None, now: datetime) -> tuple[list, int | None]:
    """The proof-of-presence flags of a scan, and its distance from the checkpoint (when both positions are known).
    Times are the counted ones (fields.counted): scans sent together from the outbox were walked apart."""
    flags, distance = [], None
    if not where.known:
        flags.append("no_position")
    elif checkpoint.placed:
        distance = round(metres(where.lat, where.lng, checkpoint.lat, checkpoint.lng))
        if distance > max(FAR_METRES, where.accuracy or 0):
            flags.append("far")
    if previous is not None and previous.checkpoint_id != checkpoint.id:
        before = fields.counted(previous.made_at, previous.at)
        seconds = max((now - before).total_seconds(), 0.001)
        if where.known and previous.lat is not None:
            if metres(where.lat, where.lng, previous.lat, previous.lng) / seconds > WALK_SPEED:
                flags.append("fast")
        elif now - before < MIN_GAP:
            flags.append("fast")
    return flags, distance


def _problem(raw_ok, raw_problem, raw_note, photo, require_photo: bool) -> tuple[str | None, str | None]:
    """All normal, or a problem with what is wrong and a note; the photo a checkpoint may require. Every mistake at
    once (fields.py's checks)."""
    errors: dict[str, str] = {}
    problem = None
    if raw_ok not in ("1", "0"):
        errors["ok"] = _("Tap All normal or Problem.")
    elif raw_ok == "0":
        problem = fields.checked(errors, fields.choice, raw_problem, PROBLEMS, "problem")
        if "problem" in errors:
            errors["problem"] = _("Choose what is wrong.")
    note = fields.checked(errors, fields.text, raw_note, MAX_NOTE, "note",
                          _("Describe the problem.") if raw_ok == "0" else None)
    if require_photo and not getattr(photo, "filename", None):
        errors["photo"] = _("This checkpoint needs a photo taken here.")
    if errors:
        raise PatrolErrors(errors)
    return problem, note


def night_over(site: Site, admitted: Admitted) -> bool:
    """Whether the night the admitted round belongs to has ended by now (see RoundClosed)."""
    last = checklists.schedule(admitted.patrol, admitted.day)
    return bool(last) and reads.wall_clock(site) >= last[-1].due_at


def scan(site: Site, user: User, admitted: Admitted, *, ok, problem=None, note=None, where: Where | None = None,
         photo: FileStorage | None = None, method: str = "scan",
         idem_key: str | None = None, made_at: datetime | None = None) -> tuple[PatrolScan, bool]:
    """Record a checkpoint of the open round: all normal, or a problem with a note (and a photo). Returns the scan and
    whether it is new: a checkpoint scanned twice in a round (or a double tap) counts once, the first scan stands.

    `made_at`: the phone's time of a scan sent from its outbox (the caller admitted it in the round open then); the
    round completes at that time, and a scan whose night is over by now is refused with RoundClosed."""
    checkpoint, where = admitted.checkpoint, where or Where()
    problem, note = _problem(ok, problem, note, photo, checkpoint.require_photo)
    name = None
    if getattr(photo, "filename", None):
        try:
            name = photos.store(photo, PHOTO_KIND)
        except photos.PhotoError as e:
            raise PatrolErrors({"photo": e.message}) from None
    try:
        with write_tx():
            run = locked_round(admitted.patrol, admitted.day, admitted.round.slot, user)
            done = db.session.scalar(select(PatrolScan).where(PatrolScan.run_id == run.id,
                                                              PatrolScan.checkpoint_id == checkpoint.id))
            if done is None and idem_key:
                done = db.session.scalar(select(PatrolScan).where(PatrolScan.idem_key == idem_key))
            if done is not None:
                photos.remove(PHOTO_KIND, name)
                return done, False
            if made_at is not None and night_over(site, admitted):
                raise RoundClosed(_("The night's patrol was over when this scan arrived from the phone: it was not "
                                    "counted. Tell the lead."))
            arrived = utcnow()
            now = fields.counted(made_at, arrived)
            previous = _previous(site, user, admitted.day, now)
            flags, distance = _flags(checkpoint, where, previous, now)
            row = PatrolScan(site_id=site.id, day=admitted.day, slot=admitted.round.slot, run_id=run.id,
                             checkpoint_id=checkpoint.id, user_id=user.id, at=arrived, made_at=made_at, method=method,
                             status="problem" if problem else "ok", lat=where.lat, lng=where.lng,
                             accuracy=where.accuracy, distance_m=distance, flags=",".join(flags), problem=problem,
                             note=note, photo=name, idem_key=idem_key)
            db.session.add(row)
            db.session.flush()
            _close_round_when_complete(site, run, user, now)
            record("scan", "checkpoint", checkpoint.id, site_id=site.id, round=admitted.round.slot,
                   night=admitted.day.isoformat(), method=method, status=row.status, flags=row.flags)
    except IntegrityError:  # the same checkpoint from a second phone at the same moment (PostgreSQL)
        photos.remove(PHOTO_KIND, name)
        db.session.rollback()
        return db.session.scalar(select(PatrolScan).where(PatrolScan.run_id == run.id,
                                                          PatrolScan.checkpoint_id == checkpoint.id)), False
    except BaseException:
        photos.remove(PHOTO_KIND, name)
        raise
    return row, True


def _previous(site: Site, user: User, day: date, now: datetime) -> PatrolScan | None:
    """The person's scan before this one, by counted time (one sent late from the outbox sorts where it was made).
    This night's scans only (the site and night index): an earlier night is more than a walk away."""
    near = db.session.scalars(select(PatrolScan).where(
        PatrolScan.site_id == site.id, PatrolScan.day == day, PatrolScan.user_id == user.id,
        PatrolScan.status != "refused", PatrolScan.at >= now - timedelta(hours=2))
        .order_by(PatrolScan.at.desc()).limit(50)).all()
    before = [s for s in near if fields.counted(s.made_at, s.at) <= now]
    return max(before, key=lambda s: fields.counted(s.made_at, s.at), default=None)


def _close_round_when_complete(site: Site, run, user: User, now: datetime) -> None:
    """Every active checkpoint has a scan in this round: the round is done (on time or late by the engine)."""
    total = db.session.scalar(select(func.count(Checkpoint.id)).where(Checkpoint.site_id == site.id,
                                                                      Checkpoint.active.is_(True)))
    seen = db.session.scalar(select(func.count(PatrolScan.id)).join(Checkpoint).where(
        PatrolScan.run_id == run.id, Checkpoint.active.is_(True)))
    problems = db.session.scalar(select(func.count(PatrolScan.id)).where(PatrolScan.run_id == run.id,
                                                                         PatrolScan.status == "problem"))
    run.failed_count = problems
    if run.completed_at is None and total and seen >= total:
        run.completed_at, run.completed_by_id = now, user.id


def own_scan(site: Site, scan_id: int) -> PatrolScan | None:
    """A scan of this site (not a refusal), with its checkpoint and the person who made it (its page shows both)."""
    row = db.session.get(PatrolScan, scan_id, options=[joinedload(PatrolScan.checkpoint), joinedload(PatrolScan.user)])
    return row if row is not None and row.site_id == site.id and row.status != "refused" else None


def _undecided(row: PatrolScan) -> None:
    if row.status != "problem":
        raise PatrolError(_("Only a problem found becomes an incident or a task."))
    if row.incident_id is not None or row.morning_task:
        raise PatrolError(_("This problem has already been passed on."))


def to_incident(site: Site, user: User, row: PatrolScan):
    """The problem found becomes an incident at the checkpoint's place (a fire hazard an urgent one), with the
    scan's photo. A second tap finds the same incident."""
    if row.incident_id is not None:
        return db.session.get(incidents.Incident, row.incident_id)
    _undecided(row)
    checkpoint = row.checkpoint
    files = []
    if row.photo:
        path = photos.folder(PHOTO_KIND) / row.photo
        if path.exists():
            files = [FileStorage(stream=path.open("rb"), filename=row.photo, content_type="image/jpeg")]
    label = str(PROBLEMS[row.problem])
    try:
        incident = incidents.report(
            site, user, kind=INCIDENT_KIND[row.problem], location_id=checkpoint.location_id,
            level="urgent" if row.problem == "fire" else "note",
            description=f"{_('Patrol')} · {checkpoint.name}: {label}. {row.note or ''}".strip(), files=files,
            idem_key=f"patrol{row.id}")
    finally:
        for f in files:
            f.close()
    with write_tx():
        row = db.session.get(PatrolScan, row.id, populate_existing=True)
        if row.incident_id is None:
            row.incident_id = incident.id
            record("to_incident", "patrol_scan", row.id, site_id=site.id, incident=incident.id)
    return incident


def to_morning(site: Site, user: User, row: PatrolScan) -> PatrolScan:
    """The problem found is left for the morning: it shows on the day's screens until someone marks it done."""
    with write_tx():
        row = db.session.get(PatrolScan, row.id, populate_existing=True, with_for_update=True)
        if row.morning_task:
            return row
        _undecided(row)
        row.morning_task = True
        record("to_morning", "patrol_scan", row.id, site_id=site.id)
    return row


def finish_task(site: Site, user: User, row: PatrolScan, note) -> PatrolScan:
    """Mark a morning task done, with what was done; a second tap changes nothing."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise PatrolError(_("At most %(n)d characters.", n=MAX_NOTE), "note")
    with write_tx():
        row = db.session.get(PatrolScan, row.id, populate_existing=True, with_for_update=True)
        if not row.morning_task:
            raise PatrolError(_("This is not a task for the morning."))
        if row.task_done_at is None:
            row.task_done_at, row.task_done_by_id, row.task_note = utcnow(), user.id, note or None
            record("task_done", "patrol_scan", row.id, site_id=site.id, note=note)
    return row


# The manager's checkpoints


def set_up(site: Site, user: User) -> bool:
    """The hourly night round and the usual checkpoints, for a site made before patrols (whether it added them)."""
    with write_tx():
        added = seed_patrol(site)
        if added:
            record("set_up", "patrol", None, site_id=site.id)
    return added


def _location(site: Site, raw) -> Location:
    try:
        loc = db.session.get(Location, int(raw))
    except (TypeError, ValueError):
        loc = None
    if loc is None or loc.site_id != site.id or not loc.active:
        raise PatrolError(_("Choose the area it is in."), "location_id")
    return loc


def _name(site: Site, raw, checkpoint_id: int | None = None) -> str:
    name = (raw or "").strip()
    if not name:
        raise PatrolError(_("Give the checkpoint a name."), "name")
    if len(name) > 60:
        raise PatrolError(_("At most %(n)d characters.", n=60), "name")
    clash = db.session.scalar(select(Checkpoint.id).where(Checkpoint.site_id == site.id, Checkpoint.name == name))
    if clash is not None and clash != checkpoint_id:
        raise PatrolError(_("Another checkpoint already has this name."), "name")
    return name


def add_checkpoint(site: Site, user: User, *, name, location_id, require_photo=False,
                   idem_key: str | None = None) -> Checkpoint:
    """Add a checkpoint (its name unique on the site). The same form sent twice (its key) adds one."""
    place = _location(site, location_id)
    with write_tx():
        if (earlier := idempotency.claim(idem_key, "checkpoint", site.id)) is not None:
            return db.session.get(Checkpoint, earlier)
        name = _name(site, name)
        cp = Checkpoint(site_id=site.id, location_id=place.id, name=name, token=secrets.token_urlsafe(16),
                        require_photo=bool(require_photo),
                        position=next_position(Checkpoint.position, Checkpoint.site_id == site.id))
        db.session.add(cp)
        db.session.flush()
        idempotency.done(idem_key, "checkpoint", site.id, cp.id)
        record("add", "checkpoint", cp.id, site_id=site.id, name=name)
    return cp


def edit_checkpoint(site: Site, user: User, cp: Checkpoint, *, name, location_id, require_photo, active) -> Checkpoint:
    place = _location(site, location_id)
    with write_tx():
        cp.name = _name(site, name, cp.id)
        cp.location_id, cp.require_photo, cp.active = place.id, bool(require_photo), bool(active)
        record("edit", "checkpoint", cp.id, site_id=site.id, name=cp.name, active=cp.active,
               require_photo=cp.require_photo)
    return cp


def place(site: Site, user: User, cp: Checkpoint, where: Where) -> Checkpoint:
    """The manager, standing at the checkpoint, sets its position from the phone's."""
    if not where.known:
        raise PatrolError(_("The phone gave no position. Allow location for this site and try again."), "position")
    with write_tx():
        cp.lat, cp.lng, cp.placed_at = where.lat, where.lng, utcnow()
        record("place", "checkpoint", cp.id, site_id=site.id, accuracy=where.accuracy)
    return cp
