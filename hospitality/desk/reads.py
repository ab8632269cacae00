"""What the desk screens read, as prebuilt statements of named rows: a message, the site's open ones, those taken on a
day and done, the open ones for a person (their today screen), and the people and sales reps a message may be for."""
from datetime import date

from sqlalchemy import Row, bindparam, or_, select
from sqlalchemy.orm import aliased

from ..clock import day_bounds
from ..database import Reads, read_panels, select_rows
from ..models import SalesRep, Site, User, manager_sites
from ..models.core import POSTS
from ..models.guests import VipNotice
from ..models.messages import DeskMessage

OPEN_SHOWN = 100  # a site has a handful open; the log shows at most this many
DAY_SHOWN = 200
MINE_SHOWN = 20

_FOR, _TAKER, _DOER = aliased(User), aliased(User), aliased(User)
# A caller whose number the manager marked VIP: the note comes with the message (one, however many notices share it).
_VIP = (select(VipNotice.note).where(VipNotice.site_id == DeskMessage.site_id,
                                     VipNotice.phone == DeskMessage.caller_phone, VipNotice.active.is_(True))
        .order_by(VipNotice.id).limit(1).correlate(DeskMessage).scalar_subquery().label("vip"))
_COLUMNS = (select(DeskMessage.id, DeskMessage.kind, DeskMessage.caller_name, DeskMessage.caller_phone,
                   DeskMessage.for_user_id, DeskMessage.for_rep_id, DeskMessage.text, DeskMessage.call_back_by,
                   DeskMessage.taken_at, DeskMessage.done_at, _FOR.name.label("for_name"),
                   _FOR.post.label("for_post"), SalesRep.name.label("rep_name"), _TAKER.name.label("taken_by"),
                   _DOER.name.label("done_by"), _VIP)
            .outerjoin(_FOR, _FOR.id == DeskMessage.for_user_id)
            .outerjoin(SalesRep, SalesRep.id == DeskMessage.for_rep_id)
            .join(_TAKER, _TAKER.id == DeskMessage.taken_by_id)
            .outerjoin(_DOER, _DOER.id == DeskMessage.done_by_id))
_OF_SITE = DeskMessage.site_id == bindparam("site_id")
# A promised call-back first, the earliest promise first; then the oldest message.
_URGENT_FIRST = (DeskMessage.call_back_by.is_(None), DeskMessage.call_back_by, DeskMessage.taken_at, DeskMessage.id)
_MESSAGE = _COLUMNS.where(DeskMessage.id == bindparam("message_id"), _OF_SITE)
_OPEN = _COLUMNS.where(_OF_SITE, DeskMessage.done_at.is_(None)).order_by(*_URGENT_FIRST).limit(OPEN_SHOWN)
_DAY_DONE = (_COLUMNS.where(_OF_SITE, DeskMessage.taken_at >= bindparam("start"),
                            DeskMessage.taken_at < bindparam("end"), DeskMessage.done_at.is_not(None))
             .order_by(DeskMessage.taken_at.desc(), DeskMessage.id.desc()).limit(DAY_SHOWN))
_MINE = (_COLUMNS.where(_OF_SITE, DeskMessage.for_user_id == bindparam("user_id"), DeskMessage.done_at.is_(None))
         .order_by(*_URGENT_FIRST).limit(MINE_SHOWN))
# The people of a site: its staff, and the managers who manage it (a manager's own site may be another one).
_PEOPLE = (select(User.id, User.name, User.post)
           .where(User.active.is_(True),
                  or_(User.site_id == bindparam("site_id"),
                      User.id.in_(select(manager_sites.c.user_id)
                                  .where(manager_sites.c.site_id == bindparam("site_id")))))
           .order_by(User.name, User.id))
_REPS = (select(SalesRep.id, SalesRep.name).where(SalesRep.site_id == bindparam("site_id"), SalesRep.active.is_(True))
         .order_by(SalesRep.name))
_POST_ORDER = {post: n for n, post in enumerate(POSTS)}


def message(site_id: int, message_id: int) -> Row | None:
    """A message of the site, or None: another site's does not exist for this user."""
    return select_rows(_MESSAGE, {"site_id": site_id, "message_id": message_id}).first()


def open_messages(site_id: int) -> list[Row]:
    """Every message of the site not done yet (from any day), promised call-backs first."""
    return select_rows(_OPEN, {"site_id": site_id}).all()


def day_done(site: Site, day: date) -> list[Row]:
    """The messages taken on a day of the site's calendar and done since, newest first (the open ones of every day
    are open_messages)."""
    start, end = day_bounds(site, day)
    return select_rows(_DAY_DONE, {"site_id": site.id, "start": start, "end": end}).all()


def mine(site_id: int, user_id: int) -> list:
    """The open messages for a person: a section of their today screen."""
    return read_panels(mine_reads(site_id, user_id))["desk_mine"]


def mine_reads(site_id: int, user_id: int) -> Reads:
    """mine(), for a screen that reads its panels at once: `desk_mine`."""
    return Reads({"mine": _MINE}, {"site_id": site_id, "user_id": user_id}, lambda got: {"desk_mine": got["mine"]})


def people(site_id: int) -> list[Row]:
    """The active people a message may be for, in the posts' order, then by name (rows of id, name, post)."""
    return sorted(select_rows(_PEOPLE, {"site_id": site_id}).all(), key=lambda p: _POST_ORDER.get(p.post, 99))


def reps(site_id: int) -> list[Row]:
    """The site's active sales reps (rows of id, name)."""
    return select_rows(_REPS, {"site_id": site_id}).all()
