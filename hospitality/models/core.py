"""Sites, their locations, people and sessions, and the audit trail."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .. import clock
from ..clock import utcnow  # the column defaults' "now"; re-exported by models
from ..extensions import db
from ..i18n import lazy_gettext as _l

# The posts of DOMAIN.md; the order is the order screens list them in.
POSTS = {
    "water_bar": _l("Water bar"),
    "model_room": _l("Model room"),
    "concierge": _l("Concierge"),
    "security": _l("Security"),
    "lead": _l("Team lead"),
    "manager": _l("Manager"),
    "hq": _l("Head office"),
}
STAFF_POSTS = ("water_bar", "model_room", "concierge", "security")
# Head office (总部) is on no site's roster and works no site's pages: it compares the company's sites (/hq).
HQ_POST = "hq"
SITE_POSTS = tuple(p for p in POSTS if p != HQ_POST)

LOCATION_KINDS = {
    "water_bar": _l("Water bar"),
    "model_room": _l("Model room"),
    "negotiation": _l("Negotiation area"),
    "lounge": _l("Lounge / VIP room"),
    "sand_table": _l("Sand table"),
    "gate": _l("Gate"),
    "car_park": _l("Car park"),
    "other": _l("Other"),
}

manager_sites = Table(
    "manager_sites",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("site_id", ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
)


class Company(db.Model):
    """The property company that runs sites: head office sees all of its sites and none of another's."""
    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    code: Mapped[str] = mapped_column(String(20), unique=True)


def _default_company(context) -> int:
    """A site made without a company joins the first one (an installation of one company never names it), made
    when there is none yet."""
    conn = context.connection
    found = conn.scalar(select(func.min(Company.id)))
    if found is None:
        found = conn.execute(insert(Company).values(name="本公司", code="COMPANY")).inserted_primary_key[0]
    return found


class Site(db.Model):
    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True, default=_default_company)
    name: Mapped[str] = mapped_column(String(80))
    code: Mapped[str] = mapped_column(String(20), unique=True)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Purchase requests below this amount approve themselves (None: the manager approves all).
    auto_approve_below: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    # The water bar's refill round while guests sit (the seeds: about every 10 minutes).
    refill_minutes: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    # Minutes after a shift starts before a clock-in counts as late.
    grace_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Complaints: the first response (the judgement) is due within these hours, closing within these days.
    complaint_respond_hours: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    complaint_close_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    # Tasks: minutes to clear a table after a group leaves (the seeds: three), and to do any other task.
    table_clear_minutes: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    task_target_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")

    locations = relationship("Location", back_populates="site", order_by="Location.position")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def now(self) -> datetime:
        """Wall-clock time at the site (aware), on the app's clock."""
        return clock.now(self.tz)

    def today(self):
        return self.now().date()


class Location(db.Model):
    __tablename__ = "locations"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    site = relationship("Site", back_populates="locations")

    __table_args__ = (UniqueConstraint("site_id", "name"),)

    @property
    def kind_label(self):
        return LOCATION_KINDS.get(self.kind, self.kind)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    badge_no: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(20), default="")
    post: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(10), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Per-account login lockout (hospitality/auth/lockout.py): wrong passwords in a row, locks in a row
    # (each doubles the next), when the current lock ends, and the last wrong password.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Switching user on a shared device (hospitality/devices/services.py): the person's PIN (hashed), wrong PINs in a
    # row, and when the PIN's lock ends.
    pin_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    pin_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pin_locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    site = relationship("Site")
    managed_sites = relationship("Site", secondary=manager_sites, order_by="Site.name")

    __table_args__ = (UniqueConstraint("site_id", "badge_no"),)

    # Set by the user loader: the server-side session this request runs under.
    login_session = None

    def get_id(self):
        return self.login_session.token if self.login_session else None

    @property
    def is_active(self):
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def post_label(self):
        return POSTS.get(self.post, self.post)

    @property
    def current_site_id(self) -> int:
        return self.login_session.site_id if self.login_session else self.site_id


class SalesRep(db.Model):
    """A sales rep of the developer: named on visits, never logs in."""
    __tablename__ = "sales_reps"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(20), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (UniqueConstraint("site_id", "name"),)


class LoginSession(db.Model):
    """A server-side login: logout revokes it, so a copied cookie stops working."""
    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    user = relationship("User")


class AuditLog(db.Model):
    """Who did what, when: written in the same transaction as the change it describes."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True, nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    user = relationship("User")
