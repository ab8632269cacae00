"""Setting the site's monthly consumables budget (the manager, hospitality.permissions "budget.set"). One
transaction per action, audited; setting a month again changes its amount."""
import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import fields
from ..audit import record
from ..clock import utcnow
from ..database import write_tx
from ..errors import FieldErrors, RuleError
from ..extensions import db
from ..i18n import text as _
from ..models import Site, User
from ..models.budgets import Budget
from ..permissions import can
from .reads import add_months, month_start

MAX_AMOUNT = Decimal("10000000")  # ¥10,000,000: more for a month's consumables is a typo
MONTHS_AHEAD = 12
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_AMOUNT = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,2})?$")


class BudgetError(RuleError):
    """A budget rule said no; `field` names the form field the message belongs under."""


class BudgetErrors(FieldErrors, BudgetError):
    """Several fields of the form are wrong at once: every mistake is reported."""


def month_range(today: date) -> tuple[date, date]:
    """The months a budget may be set for: last month (closing it late) to a year ahead."""
    this = month_start(today)
    return add_months(this, -1), add_months(this, MONTHS_AHEAD)


def _month(raw, today: date) -> date:
    """A month typed as YYYY-MM (what <input type="month"> sends) within month_range."""
    first, last = month_range(today)
    found = _MONTH.match((raw or "").strip())
    month = None
    if found and 1 <= int(found.group(2)) <= 12:
        month = date(int(found.group(1)), int(found.group(2)), 1)
    if month is None or not first <= month <= last:
        raise RuleError(_("Choose a month from %(first)s to %(last)s.", first=first.strftime("%Y-%m"),
                          last=last.strftime("%Y-%m")), "month")
    return month


def _amount(raw) -> Decimal:
    """Yuan with at most two decimals, above 0 and at most MAX_AMOUNT."""
    text = (raw or "").strip()
    if not _AMOUNT.match(text):
        raise RuleError(_("Enter the amount in yuan, with at most two decimals."), "amount")
    amount = Decimal(text)
    if not 0 < amount <= MAX_AMOUNT:
        raise RuleError(_("The amount must be above ¥0 and at most ¥%(max)s.", max=f"{MAX_AMOUNT:,.0f}"), "amount")
    return amount


def _existing(site_id: int, month: date) -> Budget | None:
    return db.session.scalar(select(Budget).where(Budget.site_id == site_id, Budget.month == month))


def set_budget(site: Site, user: User, *, month, amount) -> Budget:
    """Set the site's consumables budget for a month (YYYY-MM) in yuan; setting it again changes it."""
    if not can(user, "budget.set"):
        raise BudgetError(_("Your post does not set the budget."))
    errors: dict[str, str] = {}
    month = fields.checked(errors, _month, month, site.today())
    amount = fields.checked(errors, _amount, amount)
    if errors:
        raise BudgetErrors(errors)
    with write_tx():
        budget = _existing(site.id, month)
        before = budget.amount if budget is not None else None
        if before == amount:
            return budget  # nothing changes (the same form sent again): no second audit row
        if budget is None:
            budget = Budget(site_id=site.id, month=month, amount=amount, set_by_id=user.id, set_at=utcnow())
            try:
                with db.session.begin_nested():
                    db.session.add(budget)
            except IntegrityError:  # the same month set at the same moment on PostgreSQL: change that one
                budget = _existing(site.id, month)
                if budget is None:
                    raise
                before = budget.amount
        budget.amount, budget.set_by_id, budget.set_at = amount, user.id, utcnow()
        record("set", "budget", budget.id, site_id=site.id, month=month.isoformat(), amount=amount, before=before)
    return budget
