"""The live element every post polls, and the umbrella figures of the today screens: prebuilt statements, a
fixed number of queries however many groups are on site."""
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import and_, bindparam, exists, func, select, text, true

from ...clock import day_bounds, utcnow
from ...database import Reads, read_panels, select_rows
from ...incidents import reads as incidents
from ...models import Discrepancy, Site, UmbrellaLoan, Visit, VisitEvent, VisitSeen
from ...models.guests import UNSATISFIED, GuestFeedback, VipNotice
from ...permissions import post_can

REFILL_MINUTES = 10  # the seeds: refill every ~10 minutes while guests sit (Site.refill_minutes)
LIVE_LIMIT = 12

_UMBRELLAS_OUT = select(func.coalesce(func.sum(UmbrellaLoan.qty), 0).label("out")).where(
    UmbrellaLoan.site_id == bindparam("site_id"), UmbrellaLoan.returned_at.is_(None))


def umbrellas_out(site_id: int) -> int:
    """How many of the site's umbrellas are out (the sum of its open loans)."""
    return select_rows(_UMBRELLAS_OUT, {"site_id": site_id}).scalar()


def umbrellas_out_reads(site_id: int) -> Reads:
    """umbrellas_out() for a page that reads its parts at once: `umbrellas_out`."""
    return Reads({"umbrellas": _UMBRELLAS_OUT}, {"site_id": site_id},
                 lambda got: {"umbrellas_out": got["umbrellas"][0].out})


# The concierge's today screen: each group with umbrellas out, on site or gone (guests often leave with them),
# read off the open loans (the partial index on site_id) as plain rows.
_UMBRELLA_VISITS = (select(Visit.id, Visit.arrived_at, Visit.party_size, Visit.plate,
                           func.sum(UmbrellaLoan.qty).label("out"))
                    .join(Visit, Visit.id == UmbrellaLoan.visit_id)
                    .where(UmbrellaLoan.site_id == bindparam("site_id"), UmbrellaLoan.returned_at.is_(None))
                    .group_by(Visit.id, Visit.arrived_at, Visit.party_size, Visit.plate)
                    .order_by(Visit.arrived_at.desc()).limit(LIVE_LIMIT))


_VERSION = select(func.coalesce(func.max(VisitEvent.id), 0)).where(VisitEvent.site_id == bindparam("site_id"))


def version(site_id: int) -> int:
    """The newest timeline row of the site: the live panel changes only when it does (one index seek)."""
    return select_rows(_VERSION, {"site_id": site_id}).scalar()


def version_reads(site_id: int) -> Reads:
    """version() for a page that reads its parts at once: `live_v`."""
    return Reads({"version": _VERSION_ROW}, {"site_id": site_id}, lambda got: {"live_v": got["version"][0].version})


_SEEN_BY_POST = exists().where(and_(VisitSeen.visit_id == Visit.id, VisitSeen.post == bindparam("post")))
# A known guest's plate brings the manager's VIP note onto the row (the unique index on site and plate).
_LIVE_ROWS = (select(Visit.id, Visit.arrived_at, Visit.party_size, Visit.plate, Visit.last_refill_at,
                     Visit.greeted_at, _SEEN_BY_POST.label("seen"), VipNotice.note.label("vip"))
              .outerjoin(VipNotice, and_(VipNotice.site_id == Visit.site_id, VipNotice.plate == Visit.plate,
                                         VipNotice.active.is_(True)))
              .where(Visit.site_id == bindparam("site_id"), Visit.status == "active",
                     Visit.arrived_at >= bindparam("start"))
              .order_by(Visit.arrived_at.desc()).limit(LIVE_LIMIT))


def _disc_after_visits(fn):
    return (select(fn).where(Discrepancy.site_id == bindparam("site_id"), Discrepancy.status != "closed",
                             Discrepancy.visit_id.is_not(None)).scalar_subquery())


_UNSATISFIED = (GuestFeedback.site_id == bindparam("site_id"), text(UNSATISFIED))
# The lead's and manager's live element also carries the alerts for counts after a group that differed and for
# guests who left unsatisfied (until handled): still one statement (the version, how many, the newest).
_ALERT_COLUMNS = (_disc_after_visits(func.count(Discrepancy.id)).label("alerts"),
                  _disc_after_visits(func.max(Discrepancy.id)).label("alert_id"),
                  select(func.count(GuestFeedback.id)).where(*_UNSATISFIED).scalar_subquery().label("unsatisfied"))
_VERSION_ALERTS = select(_VERSION.scalar_subquery().label("version"), *_ALERT_COLUMNS)


def _watching(*alerts):
    """The statement of the posts alerted to urgent incidents (incidents.watch): the version counts the site's incident
    timeline too (both only grow, so their sum changes whenever either does), and each urgent incident nobody has
    acknowledged comes as a row (the newest few), with how many there are. Still one statement: the site's own row
    joined to the alerting incidents (none: one row of NULLs)."""
    a = incidents.ALERTS
    return (select((_VERSION.scalar_subquery() + incidents.EVENTS_VERSION).label("version"), *alerts,
                   incidents.ALERT_COUNT.label("urgent"), a.c.incident_id, a.c.incident_kind, a.c.incident_at,
                   a.c.incident_by, a.c.incident_place)
            .select_from(Site).outerjoin(a, true()).where(Site.id == bindparam("site_id"))
            .order_by(a.c.incident_id.desc()))


_WATCH = _watching()
_WATCH_ALERTS = _watching(*_ALERT_COLUMNS)


class LiveState(NamedTuple):
    """What the poll compares (the version) and the alerts the element carries: counts after a group that differed
    (none: 0, None), and urgent incidents nobody has acknowledged (rows of incident_id, incident_kind, incident_at,
    incident_by, incident_place; `urgent` counts them all)."""
    version: int
    alerts: int = 0
    alert_id: int | None = None
    incidents: tuple = ()
    urgent: int = 0
    unsatisfied: int = 0  # guests who left unsatisfied, not handled yet


_VERSION_ROW = select(_VERSION.scalar_subquery().label("version"))


def _state_statement(post: str):
    """The statement of a post's live state: the version, with the alerts of the posts it alerts."""
    disc = post_can(post, "visits.alerts")
    if post_can(post, "incidents.watch"):
        return _WATCH_ALERTS if disc else _WATCH
    return _VERSION_ALERTS if disc else _VERSION_ROW


def _state_of(rows, post: str) -> LiveState:
    row = rows[0]
    if post_can(post, "incidents.watch"):
        disc = post_can(post, "visits.alerts")
        return LiveState(row.version, row.alerts if disc else 0, row.alert_id if disc else None,
                         tuple(r for r in rows if r.incident_id is not None), row.urgent,
                         row.unsatisfied if disc else 0)
    if post_can(post, "visits.alerts"):
        return LiveState(row.version, row.alerts, row.alert_id, unsatisfied=row.unsatisfied)
    return LiveState(row.version)


def live_state(site: Site, post: str) -> LiveState:
    """The live element's version and, for the posts it alerts, the open alerts: one statement."""
    return _state_of(select_rows(_state_statement(post), {"site_id": site.id}).all(), post)


def panel_reads(site: Site, post: str, state: LiveState | None = None) -> Reads:
    """The live element's reads, for a screen that reads its panels at once: the state (unless the poll has read it:
    `state`), today's groups on site and, for the concierge, the groups with umbrellas out."""
    start, _end = day_bounds(site, site.today())
    parts = {"live": _LIVE_ROWS}
    if state is None:
        parts["state"] = _state_statement(post)
    if post_can(post, "visits.umbrellas"):  # the concierge sees umbrellas out on the rows and groups gone with some
        parts["umbrellas"] = _UMBRELLA_VISITS
    return Reads(parts, {"post": post, "site_id": site.id, "start": start},
                 lambda got: _panel(site, post, state or _state_of(got["state"], post), got["live"],
                                    got.get("umbrellas", [])))


def live_panel(site: Site, post: str, state: LiveState | None = None) -> dict:
    """What the live element renders: the version it was built at, rows, and when a refill falls due.
    `state` is live_state() when the caller has read it already (the poll compares it first); the rest is one
    statement whatever the post (a today screen reads it with its other panels)."""
    return read_panels(panel_reads(site, post, state))


def _panel(site: Site, post: str, state: LiveState, rows: list, umbrellas: list) -> dict:
    now = utcnow()
    due_ids, next_due, upcoming = set(), None, {}
    for r in rows:
        when = next_refill_at(r.last_refill_at, site)
        if when is None:
            continue
        if when <= now:
            due_ids.add(r.id)
        else:
            upcoming[r.id] = when
            if next_due is None or when < next_due:
                next_due = when
    bar = post_can(post, "visits.serve")  # who refills sees when each group's refill falls due
    on_list = {r.id for r in rows}
    # The bar's rows show the due time itself (always right without a reload); when the earliest one
    # passes, the poll re-renders the element (live_next) and that row turns due.
    return {"live_v": state.version, "live_rows": rows, "live_due": due_ids if bar else set(),
            "live_refill_at": upcoming if bar else {},
            "live_next": int(next_due.replace(tzinfo=UTC).timestamp()) if next_due and bar
            else 0, "live_alerts": state.alerts, "live_alert_id": state.alert_id, "live_unsatisfied": state.unsatisfied,
            # Urgent incidents nobody has acknowledged, at the top for the posts alerted to them.
            "live_incidents": state.incidents, "live_incidents_more": state.urgent - len(state.incidents),
            # Unseen groups are marked, with a "Seen" button, for every floor post (security's own arrivals are seen
            # as it records them; a walk-in the concierge recorded is not).
            "live_ack": post_can(post, "visits.acknowledge"),
            # The concierge sees umbrellas out on each group's row, and below them the groups gone with some.
            "live_umbrellas": {u.id: u.out for u in umbrellas},
            "live_umbrellas_gone": [u for u in umbrellas if u.id not in on_list]}


def next_refill_at(last_refill_at: datetime | None, site: Site) -> datetime | None:
    """When a group's next refill falls due: its last serve or refill plus the site's round (None: not served)."""
    if last_refill_at is None:
        return None
    return last_refill_at + timedelta(minutes=site.refill_minutes or REFILL_MINUTES)


def due_passed(due_ts: int) -> bool:
    """A refill the live element was built to expect has fallen due since (no query)."""
    return bool(due_ts) and utcnow().replace(tzinfo=UTC).timestamp() >= due_ts
