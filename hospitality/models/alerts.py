"""Alerts out to a site's group chat (企业微信 / 钉钉 / 飞书 group robots).

The manager sets one or more robots per site (a webhook URL, an optional signing secret, the events that go there).
An event is written to the outbox in the same transaction as what caused it; the worker (`flask alerts-worker`) sends
it later with retries and backoff, so a failing robot never slows a user's tap.
"""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..i18n import lazy_pgettext
from .core import utcnow

ROBOT_KINDS = {"wecom": _l("WeCom"), "dingtalk": _l("DingTalk"), "feishu": _l("Feishu")}
EVENTS = {"discrepancy": _l("Stock discrepancy opened"), "incident_urgent": _l("Urgent incident"),
          "patrol_missed": _l("Patrol round missed"), "complaint_late": _l("Complaint past its deadline"),
          "purchase_waiting": _l("Purchase request waiting"), "staff_absent": _l("Staff member absent")}
STATES = {"queued": _l("Waiting to send"), "sending": _l("Sending"), "sent": lazy_pgettext("alert", "Sent"),
          "failed": _l("Failed")}


class AlertRobot(db.Model):
    __tablename__ = "alert_robots"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(8))  # ROBOT_KINDS
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str | None] = mapped_column(String(200), nullable=True)  # never shown back in full
    events: Mapped[str] = mapped_column(String(200))  # EVENTS keys, comma-separated
    # "purchase request waiting more than N hours": this robot's N (1-168)
    wait_hours: Mapped[int] = mapped_column(Integer, default=4, server_default="4")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index("ix_alert_robots_site", "site_id"),)


class AlertOutbox(db.Model):
    __tablename__ = "alert_outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    robot_id: Mapped[int] = mapped_column(ForeignKey("alert_robots.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))  # EVENTS
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    state: Mapped[str] = mapped_column(String(8), default="queued")  # STATES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # A worker's claim: "sending" until this moment; a crashed worker's claim expires and the row is tried again.
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    __table_args__ = (
        Index("ix_alert_outbox_due", "state", "next_try_at"),
        Index("ix_alert_outbox_robot", "robot_id", "id"),
    )


class AlertFired(db.Model):
    """A time-based event already queued (a missed round, a late complaint, a waiting purchase request, an absent
    person): unique per (site, kind, ref), written in the outbox rows' transaction, so it fires once whatever the
    number of passes or workers."""
    __tablename__ = "alert_fired"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(24))  # EVENTS
    ref: Mapped[str] = mapped_column(String(60))  # what it is about: "complaint:12:respond", "roster:40"…
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("site_id", "kind", "ref"),)
