"""Rules of shared devices and PINs: registering, renaming and retiring a device, setting and resetting a PIN, and
switching user on a device with badge number and PIN. Every write is audited."""
import base64
import hashlib
import hmac
import re
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from .. import idempotency
from ..audit import record
from ..auth.services import end_session, start_session
from ..database import write_tx
from ..errors import RuleError
from ..extensions import db
from ..i18n import text as _
from ..models import Site, User, core, utcnow
from ..models.devices import Device
from ..permissions import posts_for

PIN_LOCK_AFTER = 5  # wrong PINs in a row lock the person's PIN…
PIN_LOCK_MINUTES = 30  # …for this long, or until the manager resets it (documented on the My PIN page)
IDLE_MINUTES = (1, 60)
_PIN = re.compile(r"^[0-9]{4,6}$")
# Guessed first by anyone who tries (keypad shapes and dates aside from the patterns below).
_COMMON = frozenset({"2580", "0852", "1004", "2000", "1122", "6969", "5683", "112233", "147258", "159753",
                     "520520", "521521", "5201314", "131420", "147852", "258369", "123123", "666888"})
_users = User.__table__


class DeviceError(RuleError):
    """A device rule said no (a name missing or taken, idle minutes out of range)."""
    field_default = "name"


class PinError(RuleError):
    """A PIN was refused (too weak, the two differ) or a switch was refused (wrong badge or PIN, PIN locked)."""
    field_default = "pin"


def hash_token(token: str) -> str:
    """The stored form of a device's cookie token: a long random token needs no slow hash, only not to be kept."""
    return hashlib.sha256(token.encode()).hexdigest()


def _name_taken(site_id: int, name: str, exclude_id: int | None = None) -> bool:
    q = select(Device.id).where(Device.site_id == site_id, Device.retired_at.is_(None),
                                func.lower(Device.name) == name.lower())
    if exclude_id is not None:
        q = q.where(Device.id != exclude_id)
    return db.session.scalar(q.limit(1)) is not None


def _check_minutes(minutes: int) -> None:
    if not IDLE_MINUTES[0] <= minutes <= IDLE_MINUTES[1]:
        raise DeviceError(_("Enter 1 to 60 minutes."), "idle_minutes")


def _keyed_token(device_id: int, key: str) -> str:
    """The cookie token of a device registered by a keyed form: the same form sent again (its first answer lost on a
    weak signal) must set the same cookie, and the token is never stored, so it is derived from the form's key and
    the device with the app's secret (which signs the sessions too: whoever holds it opens everything anyway)."""
    secret = current_app.secret_key
    secret = secret.encode() if isinstance(secret, str) else secret
    mac = hmac.new(secret, f"device-token\0{device_id}\0{key}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def register(site: Site, manager: User, name: str, idle_minutes: int = 5,
             idem_key: str | None = None) -> tuple[Device, str]:
    """Register the browser the manager is using as a device of the site; returns the device and the token its
    cookie carries (never stored as such). The same form sent twice registers one device, and answers with the
    same token."""
    name = name.strip()
    _check_minutes(idle_minutes)
    token = secrets.token_urlsafe(32)
    with write_tx():
        if (earlier := idempotency.claim(idem_key, "device", site.id)) is not None:
            return db.session.get(Device, earlier), _keyed_token(earlier, idem_key)
        if _name_taken(site.id, name):
            raise DeviceError(_("Another device of this site has this name."))
        device = Device(site_id=site.id, name=name, token_hash=hash_token(token), idle_minutes=idle_minutes,
                        registered_by_id=manager.id, registered_at=utcnow(), last_seen_at=utcnow())
        db.session.add(device)
        db.session.flush()
        if idem_key:  # the id is known now: the token a replay can give again
            token = _keyed_token(device.id, idem_key)
            device.token_hash = hash_token(token)
        idempotency.done(idem_key, "device", site.id, device.id)
        record("register", "device", device.id, site_id=site.id, name=name, idle_minutes=idle_minutes)
    return device, token


def update(site: Site, device: Device, name: str, idle_minutes: int) -> None:
    """Rename a device or change its idle lock."""
    name = name.strip()
    _check_minutes(idle_minutes)
    with write_tx():
        if _name_taken(site.id, name, device.id):
            raise DeviceError(_("Another device of this site has this name."))
        device = db.session.get(Device, device.id)
        before = {"name": device.name, "idle_minutes": device.idle_minutes}
        device.name, device.idle_minutes = name, idle_minutes
        record("update", "device", device.id, site_id=site.id, before=before, name=name, idle_minutes=idle_minutes)


def retire(site: Site, device: Device) -> None:
    """Retire a device: its cookie stops working at once (a lost or replaced tablet)."""
    with write_tx():
        device = db.session.get(Device, device.id)
        if device.retired_at is None:
            device.retired_at = utcnow()
            record("retire", "device", device.id, site_id=site.id, name=device.name)


def weak_pin(pin: str) -> bool:
    """One digit repeated (0000), a run up or down (1234, 987654), a pair repeated (1212) or a common PIN."""
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:], strict=False)}
    pair = len(pin) % 2 == 0 and pin == pin[:2] * (len(pin) // 2)
    return len(set(pin)) == 1 or steps in ({1}, {9}) or pair or pin in _COMMON


def set_pin(user: User, pin: str, again: str) -> None:
    """The person sets their own PIN (logged in with their password); it also lifts their PIN's lock."""
    if not _PIN.match(pin or ""):
        raise PinError(_("A PIN is 4 to 6 digits."))
    if weak_pin(pin):
        raise PinError(_("This PIN is too easy to guess (repeated digits, a run like 1234, or a common PIN). "
                         "Choose another."))
    if again != pin:
        raise PinError(_("The two PINs are not the same."), "again")
    pin_hash = core.generate_password_hash(pin)
    with write_tx():
        _pin_columns(user.id, pin_hash)
        record("set_pin", "user", user.id, site_id=user.site_id, user_id=user.id)


def reset_pin(site: Site, user: User) -> None:
    """The manager clears a person's PIN and its lock (forgotten, or locked after wrong PINs)."""
    with write_tx():
        _pin_columns(user.id, None)
        record("reset_pin", "user", user.id, site_id=site.id, name=user.name)


def _pin_columns(user_id: int, pin_hash: str | None) -> None:
    """A new PIN (or none) with no wrong tries and no lock; caller's transaction."""
    user = db.session.get(User, user_id)
    user.pin_hash, user.pin_failures, user.pin_locked_until = pin_hash, 0, None


def pin_locked(user, now: datetime | None = None) -> bool:
    return user.pin_locked_until is not None and user.pin_locked_until > (now or utcnow())


def _locked_error(until: datetime, site: Site) -> PinError:
    at = until.replace(tzinfo=UTC).astimezone(site.tz).strftime("%H:%M")
    return PinError(_("Too many wrong PINs: this PIN is locked until %(time)s, or until your manager resets it. "
                      "Log in with your password meanwhile.", time=at))


def _dummy_check(pin: str) -> None:
    """Hash whatever the answer, so the time taken tells nothing about which badges exist."""
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = core.generate_password_hash(secrets.token_urlsafe(8))
    core.check_password_hash(_DUMMY, pin)


_DUMMY: str | None = None


def _person(device: Device, badge: str) -> User | None:
    """The active person of the device's site with this badge number (a site's badges are unique), of a post that
    works the site: people of other sites never log in on this device."""
    return db.session.scalar(select(User).where(
        User.site_id == device.site_id, func.lower(User.badge_no) == badge.strip().lower(),
        User.active.is_(True), User.post.in_(posts_for("device.pin"))).execution_options(populate_existing=True))


def switch(device: Device, badge: str, pin: str, previous: User | None, address: str | None = None) -> User:
    """Log in the person with this badge and PIN on the device, ending the previous person's session.

    Wrong PINs in a row lock the person's PIN after PIN_LOCK_AFTER (for PIN_LOCK_MINUTES, or until the manager
    resets it); the count moves by atomic UPDATEs so wrong PINs sent at once all count."""
    now = utcnow()
    site = db.session.get(Site, device.site_id)
    user = _person(device, badge)
    if user is None or user.pin_hash is None:
        _dummy_check(pin)
        with write_tx():
            record("pin_failed", "device", device.id, site_id=device.site_id, user_id=None,
                   device=device.name, badge=badge.strip()[:20], address=address)
        if user is not None:
            raise PinError(_("No PIN is set for this badge yet: log in with your password and set one under My PIN."))
        raise PinError(_("Wrong badge number or PIN."))
    if pin_locked(user, now):
        raise _locked_error(user.pin_locked_until, site)
    if not core.check_password_hash(user.pin_hash, pin):
        raise _wrong_pin(device, user, site, now, address)
    if previous is not None:
        end_session(previous)
    with write_tx():
        db.session.execute(_users.update().where(_users.c.id == user.id).values(pin_failures=0))
        db.session.get(Device, device.id).last_seen_at = now
        record("switch_user", "device", device.id, site_id=device.site_id, user_id=user.id, device=device.name,
               person=user.name, previous=previous.name if previous is not None else None)
    start_session(user)
    return user


def _wrong_pin(device: Device, user: User, site: Site, now: datetime, address: str | None) -> PinError:
    """Count a wrong PIN and audit it; lock the PIN when the run reaches PIN_LOCK_AFTER."""
    with write_tx():
        row = db.session.execute(
            _users.update().where(_users.c.id == user.id, or_(_users.c.pin_locked_until.is_(None),
                                                              _users.c.pin_locked_until <= now))
            .values(pin_failures=_users.c.pin_failures + 1).returning(_users.c.pin_failures)).first()
        if row is None:  # locked meanwhile by another wrong PIN
            return _locked_error(db.session.scalar(select(_users.c.pin_locked_until)
                                                   .where(_users.c.id == user.id)), site)
        record("pin_failed", "device", device.id, site_id=device.site_id, user_id=user.id, device=device.name,
               failures=row.pin_failures, address=address)
        if row.pin_failures < PIN_LOCK_AFTER:
            return PinError(_("Wrong badge number or PIN."))
        until = now + timedelta(minutes=PIN_LOCK_MINUTES)
        db.session.execute(_users.update().where(_users.c.id == user.id)
                           .values(pin_locked_until=until, pin_failures=0))
        record("pin_locked", "user", user.id, site_id=device.site_id, user_id=user.id, device=device.name,
               until=until)
    return _locked_error(until, site)


def lock(device: Device | None, user: User) -> None:
    """The device went idle: end the session of whoever was using it."""
    end_session(user)
    if device is not None:
        with write_tx():
            db.session.get(Device, device.id).last_seen_at = utcnow()
            record("lock", "device", device.id, site_id=device.site_id, user_id=user.id, device=device.name,
                   person=user.name)
