"""What the patrol screens read: the site's patrol and checkpoints, tonight's round with what is still to visit,
a night's report (rounds, scans with their flags, checkpoints never visited, problems and what became of them,
refused scans) and the tasks a patrol left for the morning."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Row, and_, bindparam, select
from sqlalchemy.orm import aliased, joinedload

from .. import fields
from ..checklists import reads as checklists
from ..database import Reads, read_panels, select_rows
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import ChecklistTemplate, Location, Site, User
from ..models.attendance import RosterEntry
from ..models.incidents import Incident
from ..models.patrol import PROBLEMS, Checkpoint, PatrolScan

OPEN_TASKS_SHOWN = 20
# A round as the patrol's screens say it (the checklist engine's states: done in its window, late, missed).
ROUND_STATES = {"done": _l("On time"), "late": _l("Late"), "missing": _l("Missed"), "overdue": _l("Missed"),
                "pending": _l("To come"), "in_progress": _l("Under way")}

_TEMPLATE = (select(ChecklistTemplate)
             .where(ChecklistTemplate.site_id == bindparam("site_id"), ChecklistTemplate.kind == "patrol",
                    ChecklistTemplate.shift_id.is_not(None), ChecklistTemplate.active.is_(True))
             .options(joinedload(ChecklistTemplate.shift))  # its schedule reads the shift: one query, not two
             .order_by(ChecklistTemplate.position, ChecklistTemplate.id).limit(1))
_CHECKPOINTS = (select(Checkpoint.id, Checkpoint.name, Checkpoint.token, Checkpoint.active, Checkpoint.require_photo,
                       Checkpoint.lat, Checkpoint.lng, Checkpoint.placed_at, Checkpoint.location_id,
                       Location.name.label("place"))
                .join(Location, Location.id == Checkpoint.location_id)
                .where(Checkpoint.site_id == bindparam("site_id"))
                .order_by(Checkpoint.active.desc(), Checkpoint.position, Checkpoint.id))
_DONE_BY = aliased(User)
_SCANS = (select(PatrolScan.id, PatrolScan.slot, PatrolScan.checkpoint_id, PatrolScan.at, PatrolScan.made_at,
                 PatrolScan.method,
                 PatrolScan.status, PatrolScan.refusal, PatrolScan.flags, PatrolScan.distance_m, PatrolScan.problem,
                 PatrolScan.note, PatrolScan.photo, PatrolScan.incident_id, PatrolScan.morning_task,
                 PatrolScan.task_done_at, PatrolScan.task_note, Checkpoint.name.label("checkpoint"),
                 User.name.label("guard"), Incident.status.label("incident_status"),
                 _DONE_BY.name.label("task_done_by"))
          .join(User, User.id == PatrolScan.user_id)
          .outerjoin(Checkpoint, Checkpoint.id == PatrolScan.checkpoint_id)
          # The site's incidents only: PostgreSQL then hashes a few hundred, not every site's.
          .outerjoin(Incident, and_(Incident.id == PatrolScan.incident_id, Incident.site_id == bindparam("site_id")))
          .outerjoin(_DONE_BY, _DONE_BY.id == PatrolScan.task_done_by_id)
          .where(PatrolScan.site_id == bindparam("site_id"), PatrolScan.day == bindparam("day"))
          .order_by(PatrolScan.at, PatrolScan.id))
_SCANS_OF_ROUND = _SCANS.where(PatrolScan.slot == bindparam("slot"), PatrolScan.status != "refused")
_SEEN_IN_ROUND = (select(PatrolScan.id).where(PatrolScan.site_id == bindparam("site_id"),
                                             PatrolScan.day == bindparam("day"), PatrolScan.slot == bindparam("slot"),
                                             PatrolScan.checkpoint_id == Checkpoint.id, PatrolScan.status != "refused")
                  .exists())
_ROUND_POINTS = (_CHECKPOINTS.add_columns(_SEEN_IN_ROUND.label("seen")).where(Checkpoint.active.is_(True)))
_OPEN_TASKS = (select(PatrolScan.id, PatrolScan.day, PatrolScan.at, PatrolScan.made_at, PatrolScan.problem,
                      PatrolScan.note,
                      Checkpoint.name.label("checkpoint"), User.name.label("guard"))
               .join(Checkpoint, Checkpoint.id == PatrolScan.checkpoint_id).join(User, User.id == PatrolScan.user_id)
               .where(PatrolScan.site_id == bindparam("site_id"), PatrolScan.morning_task.is_(True),
                      PatrolScan.task_done_at.is_(None))
               .order_by(PatrolScan.at).limit(OPEN_TASKS_SHOWN))
_ON_ROSTER = select(RosterEntry.id).where(
    RosterEntry.site_id == bindparam("site_id"), RosterEntry.user_id == bindparam("user_id"),
    RosterEntry.day == bindparam("day"), RosterEntry.shift_id == bindparam("shift_id"))


def template(site_id: int) -> ChecklistTemplate | None:
    """The site's patrol: the checklist whose rounds come every `every_minutes` of a shift (one per site)."""
    return db.session.scalar(_TEMPLATE, {"site_id": site_id})


_PLAIN_TEMPLATE = checklists.plain_templates(_TEMPLATE.whereclause).limit(1)


def template_reads(site_id: int) -> Reads:
    """template() as a checklists.PlainTemplate (or None), for a screen that reads its panels at once (security's:
    give it to panel()): `patrol_template`."""
    return Reads({"patrol": _PLAIN_TEMPLATE}, {"site_id": site_id},
                 lambda got: {"patrol_template": next(map(checklists.plain_template, got["patrol"]), None)})


def checkpoints(site_id: int, active_only: bool = True) -> list[Row]:
    """The site's checkpoints in walking order (id, name, token, active, require_photo, lat, lng, placed_at,
    location_id, place); with active_only=False the retired ones too, after the others."""
    rows = select_rows(_CHECKPOINTS, {"site_id": site_id}).all()
    return [r for r in rows if r.active] if active_only else rows


_BY_TOKEN = select(Checkpoint).options(joinedload(Checkpoint.location)).where(Checkpoint.token == bindparam("token"))


def checkpoint_by_token(token: str) -> Checkpoint | None:
    """The checkpoint a printed code names, whatever its site (the caller compares sites)."""
    if not fields.token_ok(token):
        return None
    return db.session.scalar(_BY_TOKEN, {"token": token})


def on_night_roster(site_id: int, user_id: int, day: date, shift_id: int) -> bool:
    return select_rows(_ON_ROSTER, {"site_id": site_id, "user_id": user_id, "day": day,
                                    "shift_id": shift_id}).first() is not None


def wall_clock(site: Site) -> datetime:
    """Now at the site, naive (the checklist engine's rounds are naive wall-clock times)."""
    return site.now().replace(tzinfo=None)


@dataclass
class Tonight:
    """The patrol as security's screen shows it: the round open now and what is left of it, the next one."""
    template: ChecklistTemplate
    day: date | None = None  # the night the open round belongs to
    current: checklists.Round | None = None
    to_visit: list[Row] = field(default_factory=list)
    visited: int = 0
    total: int = 0
    next_day: date | None = None
    next_round: checklists.Round | None = None
    statuses: list = field(default_factory=list)  # the night's rounds with their states
    night: date | None = None  # the night those rounds belong to
    ended: bool = False  # that night is over (by day: last night's rounds, said so on the screen)

    @property
    def done(self) -> bool:
        return self.current is not None and not self.to_visit


def tonight(site: Site, patrol: ChecklistTemplate, moment: datetime | None = None) -> Tonight:
    """The open round (if any) with its checkpoints still to visit, the next round, and the night's rounds."""
    moment = moment or wall_clock(site)
    out = Tonight(patrol)
    found = checklists.round_at(patrol, moment)
    upcoming = checklists.next_round(patrol, moment)
    if upcoming is not None:
        out.next_day, out.next_round = upcoming
    out.night = found[0] if found is not None else night_of(patrol, moment)
    # The open round's checkpoints and the night's runs: one statement on PostgreSQL (the round is the night's).
    reads = []
    if found is not None:
        out.day, out.current = found
        reads.append(Reads({"points": _ROUND_POINTS}, {"site_id": site.id, "day": out.day, "slot": out.current.slot},
                           lambda got: {"round_points": got["points"]}))
    runs = checklists.day_runs_reads([patrol], out.night)
    if runs is not None:
        reads.append(runs)
    got = read_panels(*reads) if reads else {}
    if runs is not None:
        out.statuses = checklists.day_status_of_runs(site, out.night, [patrol], got["day_runs"], moment)
    else:
        out.statuses = checklists.day_status(site, out.night, [patrol], moment, counts=False)
    if out.current is not None:
        points = got["round_points"]
        out.to_visit = [p for p in points if not p.seen]
        out.total, out.visited = len(points), len(points) - len(out.to_visit)
    out.ended = out.current is None and (out.next_day is None or out.next_day > out.night)
    return out


def night_of(patrol: ChecklistTemplate, moment: datetime) -> date:
    """The night a wall-clock moment belongs to: before the night shift starts, the one that began the day before."""
    return moment.date() - timedelta(days=1) if moment.time() < patrol.shift.starts else moment.date()


@dataclass
class NightReport:
    day: date
    statuses: list  # every round of the night with its state (done = on time, late, missing/overdue = missed)
    scans: list[Row]  # accepted scans, in time order
    refused: list[Row]
    problems: list[Row]
    never_visited: list[Row]  # active checkpoints no round of the night reached
    counts: dict

    def round_scans(self, slot: str) -> list[Row]:
        if not hasattr(self, "_by_slot"):
            self._by_slot: dict[str, list[Row]] = {}
            for s in self.scans:
                self._by_slot.setdefault(s.slot, []).append(s)
        return self._by_slot.get(slot, [])

    @property
    def flagged(self) -> list[Row]:
        """Scans that question the guard's presence: far from the checkpoint, or faster than walking ("no
        position" alone is shown on the scan's row, not flagged: a browser may not give one)."""
        return [s for s in self.scans if FLAGGED.intersection(s.flags.split(","))]


MISSED = ("missing", "overdue")
FLAGGED = frozenset({"far", "fast"})


def night_report(site: Site, patrol: ChecklistTemplate, day: date, moment: datetime | None = None) -> NightReport:
    """A night's patrol: its rounds on time, late or missed, every scan (flagged ones marked), the checkpoints never
    visited, the problems found and what became of them, and the refused scans. The rounds' runs, the scans and the
    checkpoints in one read (database.read_panels; SQLite reads them one by one), whatever the size."""
    moment = moment or wall_clock(site)
    runs = checklists.day_runs_reads([patrol], day)
    got = read_panels(Reads({"scans": _SCANS, "points": _CHECKPOINTS}, {"site_id": site.id, "day": day},
                            lambda got: got), *([runs] if runs is not None else []))
    if runs is not None:
        statuses = checklists.day_status_of_runs(site, day, [patrol], got["day_runs"], moment)
    else:
        statuses = checklists.day_status(site, day, [patrol], moment, counts=False)
    rows = in_time_order(got["scans"])
    scans = [r for r in rows if r.status != "refused"]
    visited = {r.checkpoint_id for r in scans}
    counts = {"on_time": sum(s.state == "done" for s in statuses), "late": sum(s.state == "late" for s in statuses),
              "missed": sum(s.state in MISSED for s in statuses), "rounds": len(statuses)}
    return NightReport(day, statuses, scans, [r for r in rows if r.status == "refused"],
                       [r for r in scans if r.status == "problem"],
                       [p for p in got["points"] if p.active and p.id not in visited], counts)


def round_scans(site_id: int, day: date, slot: str) -> list[Row]:
    """One round's accepted scans, in time order (the night report loads each round's when it is opened)."""
    return in_time_order(select_rows(_SCANS_OF_ROUND, {"site_id": site_id, "day": day, "slot": slot}))


def in_time_order(rows) -> list[Row]:
    """Scans (arrival order from SQL) in the order they were made: one sent late from the phone's outbox sorts at
    its counted time (fields.counted)."""
    return sorted(rows, key=lambda r: fields.counted(r.made_at, r.at))


def open_tasks(site_id: int) -> list[Row]:
    """What a patrol left for the morning and nobody has marked done yet, oldest first."""
    return select_rows(_OPEN_TASKS, {"site_id": site_id}).all()


def tasks_reads(site_id: int) -> Reads:
    """open_tasks() for a screen that reads its panels at once (`patrol_tasks`)."""
    return Reads({"tasks": _OPEN_TASKS}, {"site_id": site_id}, lambda got: {"patrol_tasks": got["tasks"]})


def panel(site: Site, patrol) -> dict:
    """Security's today screen: tonight's round of the site's patrol (template_reads' `patrol_template`, None when
    the site has none); the patrol and what patrols left for the morning come with the screen's other panels
    (template_reads, tasks_reads)."""
    out = {"problems": PROBLEMS, "round_states": ROUND_STATES}
    if patrol is not None:
        out["patrol_tonight"] = tonight(site, patrol)
    return out
