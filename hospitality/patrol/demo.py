"""Demo patrols: the last nights walked by the night guard (mostly on time, one round late, one missed, a problem
left for the morning and one passed on as an incident), so the night report and the lead's today screen have
something to show on the first morning."""
import random
from datetime import timedelta

from sqlalchemy import select

from ..checklists.reads import schedule
from ..clock import to_utc
from ..extensions import db
from ..models import ChecklistRun, Site
from ..models.attendance import RosterEntry
from ..models.incidents import Incident, IncidentEvent
from ..models.patrol import Checkpoint, PatrolScan
from . import reads

NIGHTS = 2


def seed_demo(site: Site) -> None:
    """Add the demo's past patrol nights to the caller's transaction (after the demo roster)."""
    patrol = reads.template(site.id)
    if patrol is None:
        return
    rnd = random.Random(site.id)
    points = list(db.session.scalars(select(Checkpoint).where(Checkpoint.site_id == site.id, Checkpoint.active)
                                     .order_by(Checkpoint.position)))
    now = site.now().replace(tzinfo=None)
    current = reads.night_of(patrol, now)  # tonight once the night shift has begun, else the night that began yesterday
    last = current if all(r.due_at <= now for r in schedule(patrol, current)) else current - timedelta(days=1)
    # The last NIGHTS nights that are over, the last one with its mishaps; and, seeded at night, tonight's rounds
    # that have closed, all walked (the open one is left to the guard).
    nights = [last - timedelta(days=back) for back in range(NIGHTS - 1, -1, -1)] + ([current] if current > last else [])
    for night in nights:
        mishap = "missed" if night == last else "late" if night < last else None  # tonight: none
        guard_id = db.session.scalar(select(RosterEntry.user_id).where(
            RosterEntry.site_id == site.id, RosterEntry.day == night, RosterEntry.shift_id == patrol.shift_id))
        if guard_id is None:
            continue
        rounds = [r for r in schedule(patrol, night) if r.due_at <= now]
        if not rounds:
            continue
        odd = rnd.randrange(2, len(rounds)) if mishap and len(rounds) > 2 else -1  # the round of the mishap
        for n, r in enumerate(rounds):
            if n == odd and mishap == "missed":
                continue  # a round nobody walked: the report and the lead's screen show it missed
            start = r.opens_at + timedelta(minutes=rnd.randint(2, 12) + (70 if n == odd else 0))
            run = ChecklistRun(site_id=site.id, template_id=patrol.id, shift_date=night, slot=r.slot,
                               started_by_id=guard_id, started_at=to_utc(start.replace(tzinfo=site.tz)))
            db.session.add(run)
            db.session.flush()
            at = start
            for cp in points:
                at += timedelta(seconds=rnd.randint(50, 150))
                scan = PatrolScan(site_id=site.id, day=night, slot=r.slot, run_id=run.id, checkpoint_id=cp.id,
                                  user_id=guard_id, at=to_utc(at.replace(tzinfo=site.tz)), status="ok",
                                  method="tap" if rnd.random() < 0.03 else "scan", flags="no_position")
                if mishap == "missed" and n == 1 and cp.location.kind == "water_bar":
                    scan.status, scan.problem, scan.note, scan.morning_task = "problem", "ac", "水吧空调未关", True
                if mishap == "missed" and n == 3 and cp.name == "配电房":
                    scan.status, scan.problem, scan.note = "problem", "fire", "配电房门口堆放纸箱"
                    scan.incident_id = _incident(site, cp, guard_id, scan.at, scan.note)
                db.session.add(scan)
            run.completed_at, run.completed_by_id = to_utc(at.replace(tzinfo=site.tz)), guard_id
    db.session.flush()


def _incident(site: Site, cp: Checkpoint, user_id: int, at, note: str) -> int:
    incident = Incident(site_id=site.id, kind="fire", level="note", location_id=cp.location_id,
                        description=f"巡逻 · {cp.name}: {note}", reported_by_id=user_id, reported_at=at)
    db.session.add(incident)
    db.session.flush()
    db.session.add(IncidentEvent(incident_id=incident.id, site_id=site.id, kind="reported", user_id=user_id, at=at,
                                 note=incident.description))
    return incident.id
