"""Staff evaluation's writes: the site's rule weights, and the manager's rewards and penalties (audited). One
transaction per action; every refusal is reported under its field and nothing is saved."""
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import fields
from ..audit import record
from ..database import write_tx
from ..errors import FieldErrors, RuleError
from ..extensions import db
from ..i18n import text as _
from ..models import Site, User
from ..models.evaluation import ADJUSTMENT_KINDS, RULES, EvaluationAdjustment, EvaluationWeight
from ..permissions import can
from . import reads

MAX_WEIGHT = 100
MAX_POINTS = 100
MAX_YUAN = 10000
MAX_REASON = 500


class EvaluationError(RuleError):
    """An evaluation rule said no; `field` names the form field the message belongs under."""


class EvaluationErrors(FieldErrors, EvaluationError):
    """Several fields of a form are wrong at once."""


def _manager(user: User) -> None:
    if not can(user, "evaluation.manage"):
        raise EvaluationError(_("Only the manager can do this."))


def set_weights(site: Site, user: User, form) -> dict[str, int]:
    """Each rule's points per occurrence (whole numbers 0–100); one wrong field: nothing saved."""
    _manager(user)
    errors, chosen = {}, {}
    for rule in RULES:
        value = fields.whole(form.get(rule), 0, MAX_WEIGHT)
        if value is None:
            errors[rule] = _("A whole number from 0 to %(n)s.", n=MAX_WEIGHT)
        else:
            chosen[rule] = value
    if errors:
        raise EvaluationErrors(errors)
    with write_tx():
        rows = {w.rule: w for w in db.session.scalars(
            select(EvaluationWeight).where(EvaluationWeight.site_id == site.id).with_for_update())}
        before = {r: w.points for r, w in rows.items()}
        if before == chosen:
            return chosen  # nothing changes (the same form sent again): no second audit row
        for rule, points in chosen.items():
            if rule in rows:
                rows[rule].points = points
            else:
                db.session.add(EvaluationWeight(site_id=site.id, rule=rule, points=points))
        record("set", "evaluation_weights", None, site_id=site.id, before=before, after=chosen)
    return chosen


def _amount(raw, high: int) -> int | None:
    raw = str(raw if raw is not None else "").strip()
    return 0 if raw == "" else fields.whole(raw, 0, high)


def add_adjustment(site: Site, user: User, person_id: int, month: date, *, kind, points, yuan, reason,
                   idem_key: str | None = None) -> EvaluationAdjustment:
    """A reward or a penalty to a person in a month: points and/or yuan, a reason required."""
    _manager(user)
    errors: dict[str, str] = {}
    if kind not in ADJUSTMENT_KINDS:
        errors["kind"] = _("Choose a reward or a penalty.")
    pts = _amount(points, MAX_POINTS)
    if pts is None:
        errors["points"] = _("A whole number from 0 to %(n)s.", n=MAX_POINTS)
    money = _amount(yuan, MAX_YUAN)
    if money is None:
        errors["yuan"] = _("A whole number of yuan from 0 to %(n)s.", n=MAX_YUAN)
    if pts == 0 and money == 0 and "points" not in errors and "yuan" not in errors:
        errors["points"] = _("Give points, yuan or both.")
    why = fields.checked(errors, fields.text, reason, MAX_REASON, "reason", _("Say why."))
    if reads.person_of(site.id, person_id) is None:
        errors["form"] = _("This person is not evaluated at this site.")
    if errors:
        raise EvaluationErrors(errors)
    with write_tx():
        if idem_key:
            done = db.session.scalar(select(EvaluationAdjustment).where(EvaluationAdjustment.idem == idem_key))
            if done is not None:
                return done
        a = EvaluationAdjustment(site_id=site.id, user_id=person_id, month=month, kind=kind, points=pts, yuan=money,
                                 reason=why, created_by_id=user.id, idem=idem_key)
        try:
            with db.session.begin_nested():
                db.session.add(a)
        except IntegrityError:  # the same key from a concurrent double tap
            return db.session.scalar(select(EvaluationAdjustment).where(EvaluationAdjustment.idem == idem_key))
        record("add", "evaluation_adjustment", a.id, site_id=site.id, person_id=person_id, month=month, kind=kind,
               points=pts, yuan=money, reason=why)
    return a


def remove_adjustment(site: Site, user: User, adjustment: EvaluationAdjustment) -> None:
    """The manager takes a reward or penalty back; the audit trail keeps what it was."""
    _manager(user)
    with write_tx():
        a = db.session.get(EvaluationAdjustment, adjustment.id, populate_existing=True)
        if a is None:
            return
        record("remove", "evaluation_adjustment", a.id, site_id=site.id, person_id=a.user_id, month=a.month,
               kind=a.kind, points=a.points, yuan=a.yuan, reason=a.reason)
        db.session.delete(a)
