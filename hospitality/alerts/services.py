"""Alerts out: the site's group robots (set by the manager) and emit(), which queues an event for every robot of the
site subscribed to its kind, in the caller's transaction (the outbox is written with what caused the event, and
rolled back with it). Sending is the worker's (hospitality.alerts.sender), never a user's request's.

A webhook URL is https, to a named host (not localhost, not an IP literal in a private, loopback, link-local or
otherwise non-public range: the app must not be turned against the internal network). Tests may allow
http://127.0.0.1 for their fake server (config ALERTS_ALLOW_LOCAL, honoured only when TESTING).
"""
import ipaddress
import re
from urllib.parse import urlsplit

from flask import current_app

from .. import fields, idempotency
from ..audit import record
from ..database import write_tx
from ..errors import FieldErrors, RuleError
from ..extensions import db
from ..forms import MAX_ID
from ..i18n import text as _
from ..models import Site, User
from ..models.alerts import EVENTS, ROBOT_KINDS, AlertOutbox, AlertRobot
from ..permissions import can
from . import reads

MAX_URL = 500
MAX_SECRET = 200
MAX_ROBOTS = 10
MAX_TEXT = 2000
WAIT_HOURS = (1, 168)  # "purchase request waiting more than N hours": N from 1 hour to a week
DEFAULT_WAIT = 4
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_TLD = re.compile(r"^[a-z]{2,63}$")  # a named host ends in letters: "0x7f.1" or "2130706433" are addresses


class AlertError(RuleError):
    """An alerts rule said no; `field` names the form field the message belongs under."""


class AlertErrors(FieldErrors, AlertError):
    """Several fields of the form are wrong at once."""


def _allow_local() -> bool:
    return bool(current_app.testing and current_app.config.get("ALERTS_ALLOW_LOCAL"))


def _public_ip(host: str) -> bool:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if getattr(ip, "ipv4_mapped", None) is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(raw, field: str = "url", allow_local: bool | None = None) -> str:
    """A robot's webhook URL, or RuleError: https, a public host, no credentials in it."""
    url = fields.text(raw, MAX_URL, field, _("Paste the robot's webhook address."))
    allow_local = _allow_local() if allow_local is None else allow_local
    wrong = RuleError(_("Use the robot's https:// webhook address (not an internal address)."), field)
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        raise wrong from None
    if allow_local and parts.scheme == "http" and host == "127.0.0.1":
        return url
    if parts.scheme != "https" or not host or parts.username or parts.password or port not in (None, 443) \
            or any(c.isspace() for c in url):
        raise wrong
    if ":" in host or host.replace(".", "").isdigit():  # an IP literal: only a public one
        if not _public_ip(host):
            raise wrong
        return url
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or labels[-1] == "localhost" or not _TLD.match(labels[-1]) \
            or not all(_LABEL.match(label) for label in labels):
        raise wrong
    return url


def _events(raw: list[str]) -> str:
    chosen = [k for k in EVENTS if k in set(raw or [])]
    if not chosen or len(chosen) != len(set(raw)):
        raise RuleError(_("Choose at least one event.") if not raw else _("Choose from the list."), "events")
    return ",".join(chosen)


def _wait_hours(raw) -> int:
    if raw is None or str(raw).strip() == "":
        return DEFAULT_WAIT
    n = fields.whole(raw, *WAIT_HOURS)
    if n is None:
        raise RuleError(_("Hours: a whole number from %(low)s to %(high)s.", low=WAIT_HOURS[0], high=WAIT_HOURS[1]),
                        "wait_hours")
    return n


def mask(secret: str | None) -> str:
    """A secret as the page shows it: its first 4 characters and stars (nothing at all for a short one)."""
    if not secret:
        return ""
    return (secret[:4] if len(secret) >= 12 else "") + "********"


def add_robot(site: Site, user: User, *, kind, url, secret, events, wait_hours=None,
              idem_key: str | None = None) -> AlertRobot:
    """The manager adds a group robot: kind, webhook URL, signing secret (DingTalk and Feishu), events. The same
    form sent twice adds one."""
    if not can(user, "alerts.settings"):
        raise AlertError(_("Only the manager sets the group robots."))
    errors: dict[str, str] = {}
    kind = fields.checked(errors, fields.choice, kind, ROBOT_KINDS, "kind")
    url = fields.checked(errors, check_url, url)
    secret = fields.checked(errors, fields.text, secret, MAX_SECRET, "secret")
    events = fields.checked(errors, _events, events)
    wait_hours = fields.checked(errors, _wait_hours, wait_hours)
    if errors:
        raise AlertErrors(errors)
    with write_tx():
        if (earlier := idempotency.claim(idem_key, "alert_robot", site.id)) is not None:
            return db.session.get(AlertRobot, earlier)  # the same form again: the robot it added
        if len(reads.robots(site.id)) >= MAX_ROBOTS:
            raise AlertErrors({"form": _("At most %(n)s robots per site.", n=MAX_ROBOTS)})
        robot = AlertRobot(site_id=site.id, kind=kind, url=url, secret=secret if kind != "wecom" else None,
                           events=events, wait_hours=wait_hours)
        db.session.add(robot)
        db.session.flush()
        idempotency.done(idem_key, "alert_robot", site.id, robot.id)
        record("add", "alert_robot", robot.id, site_id=site.id, kind=kind, host=urlsplit(url).hostname,
               events=events)
    return robot


def _own_robot(site: Site, robot_id) -> AlertRobot:
    robot = db.session.get(AlertRobot, int(robot_id)) if str(robot_id).isdigit() and int(robot_id) <= MAX_ID else None
    if robot is None or robot.site_id != site.id:
        raise AlertError(_("Not found. It may belong to another site or have been removed."))
    return robot


def edit_robot(site: Site, user: User, robot_id, *, url, secret, remove_secret, events, wait_hours) -> AlertRobot:
    """The manager changes a robot's webhook URL, events, hours and secret: a blank secret keeps the old one,
    remove_secret clears it; everything is checked before anything is saved."""
    if not can(user, "alerts.settings"):
        raise AlertError(_("Only the manager sets the group robots."))
    errors: dict[str, str] = {}
    url = fields.checked(errors, check_url, url)
    secret = fields.checked(errors, fields.text, secret, MAX_SECRET, "secret")
    events = fields.checked(errors, _events, events)
    wait_hours = fields.checked(errors, _wait_hours, wait_hours)
    if remove_secret and secret:
        errors["secret"] = _("Either type a new secret or remove it, not both.")
    with write_tx():
        robot = _own_robot(site, robot_id)  # another site's: not found, before any field error is shown
        if errors:
            raise AlertErrors(errors)
        new_secret = None if robot.kind == "wecom" or remove_secret else secret or robot.secret
        if (robot.url, robot.events, robot.wait_hours, robot.secret) == (url, events, wait_hours, new_secret):
            return robot  # nothing changes (the same form sent again): no second audit row
        robot.url, robot.events, robot.wait_hours, robot.secret = url, events, wait_hours, new_secret
        record("edit", "alert_robot", robot.id, site_id=site.id, host=urlsplit(url).hostname, events=events,
               wait_hours=wait_hours, secret="removed" if remove_secret else "changed" if secret else "kept")
    return robot


def remove_robot(site: Site, user: User, robot_id) -> None:
    """The manager removes a robot of the site (its undelivered alerts go with it)."""
    if not can(user, "alerts.settings"):
        raise AlertError(_("Only the manager sets the group robots."))
    with write_tx():
        robot = _own_robot(site, robot_id)
        db.session.query(AlertOutbox).filter(AlertOutbox.robot_id == robot.id).delete()
        db.session.delete(robot)
        record("remove", "alert_robot", robot.id, site_id=site.id)


def emit(site_id: int, kind: str, text: str) -> int:
    """Queue an alert for each robot of the site subscribed to `kind`, in the caller's transaction (no commit here:
    rolled back with what caused it). Returns how many rows were queued."""
    n = 0
    for robot in reads.robots(site_id):
        if kind in robot.events.split(","):
            db.session.add(AlertOutbox(site_id=site_id, robot_id=robot.id, kind=kind, text=text[:MAX_TEXT]))
            n += 1
    return n
