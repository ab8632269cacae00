"""The access rule type and shared post sets; capabilities add their own rules in tests/<cap>/access.py.

Each such module defines MATRIX ({(rule, method): Rule}) and rows(site, ids) -> dict: the ids its URLs need,
built for a site that already has the shared rows (ids holds them: site_id, rep_id, visit_id, …).
"""
from dataclasses import dataclass, field

from werkzeug.security import generate_password_hash

from hospitality.models.core import HQ_POST, SITE_POSTS

PUBLIC = "public"  # reachable without a login
ANY = frozenset(SITE_POSTS)  # every post of a site; head office (HQ) reaches none of a site's pages
HQ = frozenset({HQ_POST})
OVERSEE = frozenset({"water_bar", "lead", "manager"})  # the water-bar routine: its post + overseers
MANAGER = frozenset({"manager"})
LEAD_MANAGER = frozenset({"lead", "manager"})
HASH = generate_password_hash("not-used-here")  # one hash for every user: scrypt is slow


@dataclass(frozen=True)
class Rule:
    """Who may use a route, and what a successful use looks like."""
    allowed: frozenset | str
    status: int = 200          # status for an allowed post (anonymous too when PUBLIC)
    data: dict = field(default_factory=dict)
    writes: bool | frozenset = False  # an allowed POST changes the database (or: for these posts only)
    anon_status: int | None = None  # PUBLIC routes: status for anonymous when it differs
    ids: dict = field(default_factory=dict)  # URL argument → key of the site's rows, if named apart


TEMPLATE = {"name": "水吧开吧(新)", "kind": "opening", "post": "water_bar", "due_time": "09:00",
            "active": "y"}
ITEM = {"text": "检查冰箱温度", "answer_type": "check", "required": "y", "active": "y"}
LOCATION = {"kind": "other", "name": "新地点", "active": "y"}
REP = {"name": "新顾问", "phone": "13800000000", "active": "y"}
STOCK_ITEM = {"location_id": "{bar_id}", "kind": "consumable", "name": "新物品", "unit": "瓶", "whole": "y",
              "pack_size": "6", "par_level": "6", "unit_price": "3", "active": "y"}
STOCK = frozenset({"water_bar", "model_room", "security", "lead", "manager"})
BAR = frozenset({"water_bar", "lead", "manager"})  # who works the water bar's stock
BUYERS = frozenset({"water_bar", "manager"})
BAR_IDS = {"location_id": "bar_id"}
STOCK_IDS = {"item_id": "stock_item_id"}
ARRIVE = frozenset({"security", "concierge"})
CONCIERGE = frozenset({"concierge"})
PERSON = {"name": "改名", "badge_no": "T-9", "phone": "", "post": "concierge", "active": "y"}

PLUGINS = ("tests.attendance.access", "tests.handover.access", "tests.inspections.access",
           "tests.workers.access", "tests.visits.report_access", "tests.admin.access", "tests.inventory.access",
           "tests.incidents.access", "tests.patrol.access", "tests.complaints.access",
           "tests.desk.access",
           "tests.alerts.access",
           "tests.cockpit.access",
           "tests.hq.access",
           "tests.evaluation.access",
           "tests.guests.access",
           "tests.tasks.access",
           "tests.repairs.access",
           "tests.routines.access",
           "tests.devices.access",
           "tests.pwa.access")
