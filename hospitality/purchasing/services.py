"""Purchase requests → approval → receipt (入库), and fixture releases (放行): the actions and their rules."""
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import idempotency
from ..audit import record
from ..database import write_tx
from ..extensions import db
from ..forms import limited
from ..i18n import text as _
from ..inventory import ledger
from ..inventory.ledger import StockError
from ..inventory.services import parse_qty, quantities_for
from ..models import FixtureRelease, Item, PurchaseLine, PurchaseRequest, Receipt, ReceiptLine, Site, User
from ..models.core import utcnow
from ..permissions import can
from .reads import consumables

EDITABLE = ("draft", "pending")
RECEIVABLE = ("approved", "partial")


class PurchaseError(StockError):
    """A purchasing rule said no (a StockError, so a quantity is refused in the same words everywhere)."""


class PurchaseConflict(PurchaseError):
    """Someone else acted on the request first (decided, or changed it meanwhile)."""


def _parse_qty(item: Item, raw, field: str, allow_zero: bool = True) -> Decimal:
    """parse_qty, refusing with a PurchaseError: the purchasing views catch only those (else a 500)."""
    try:
        return parse_qty(item, raw, field, allow_zero)
    except StockError as e:
        raise PurchaseError(e.message, e.field) from None


def _add_once(row, model, idem_key: str | None):
    """Insert a row carrying an idempotency key; when a concurrent double tap committed the same key
    first (PostgreSQL makes the insert wait for it, then fail), return that row instead of a 500."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        done = db.session.scalar(select(model).where(model.idem_key == idem_key)) if idem_key else None
        if done is None:
            raise
        return done
    return row


def _lines_from_form(site: Site, quantities: dict[int, str]) -> list[tuple[Item, Decimal]]:
    try:
        return quantities_for({i.id: i for i in consumables(site.id)}, quantities)
    except StockError as e:
        raise PurchaseError(e.message, e.field) from None


def create_request(site: Site, user: User, quantities: dict[int, str], note: str | None, for_date: date,
                   idem_key: str | None, proposed: dict[int, Decimal] | None = None) -> PurchaseRequest:
    """Submit a request; below the site's threshold it approves itself."""
    lines = _lines_from_form(site, quantities)
    note = limited(note, 500, "note", PurchaseError)
    with write_tx():
        if idem_key:
            done = db.session.scalar(select(PurchaseRequest).where(PurchaseRequest.idem_key == idem_key))
            if done is not None:
                return done
        req = PurchaseRequest(site_id=site.id, status="pending", for_date=for_date, requested_by_id=user.id,
                              submitted_at=utcnow(), note=note, idem_key=idem_key)
        first = _add_once(req, PurchaseRequest, idem_key)
        if first is not req:
            return first
        for item, qty in lines:
            db.session.add(PurchaseLine(request_id=req.id, item_id=item.id, qty_requested=qty,
                                        unit_price=item.unit_price, proposed_qty=(proposed or {}).get(item.id)))
        db.session.flush()
        db.session.refresh(req)
        record("submit", "purchase_request", req.id, site_id=site.id, total=req.total,
               lines={item.name: str(q) for item, q in lines})
        limit = db.session.get(Site, site.id).auto_approve_below
        if limit is not None and req.total < limit:
            req.status, req.auto_approved, req.decided_at = "approved", True, utcnow()
            for line in req.lines:
                line.qty_approved = line.qty_requested
            record("auto_approve", "purchase_request", req.id, site_id=site.id, total=req.total, limit=limit)
    return req


def update_request(site: Site, user: User, req: PurchaseRequest, version: int, quantities: dict[int, str],
                   note: str | None, idem_key: str | None = None) -> PurchaseRequest:
    """The requester changes a request that is still waiting; approved requests are frozen. The same form sent
    again (its key) answers as the first did and saves nothing: its version is the one the first replaced."""
    lines = _lines_from_form(site, quantities)
    note = limited(note, 500, "note", PurchaseError)
    with write_tx():
        req = _locked(req.id)
        if req.requested_by_id != user.id:
            raise PurchaseError(_("Only the person who asked can change this request."))
        if idempotency.claim(idem_key, "purchase_edit", site.id) == req.id:
            return req
        if req.status not in EDITABLE:
            raise PurchaseConflict(_("This request has been decided and can no longer be changed."))
        if req.version != version:
            raise PurchaseConflict(_("This request was changed meanwhile. Reload and try again."))
        before = {line.item.name: str(line.qty_requested) for line in req.lines}
        for line in list(req.lines):
            db.session.delete(line)
        db.session.flush()
        for item, qty in lines:
            db.session.add(PurchaseLine(request_id=req.id, item_id=item.id, qty_requested=qty,
                                        unit_price=item.unit_price))
        req.note = note
        req.version += 1
        db.session.flush()
        db.session.refresh(req)
        idempotency.done(idem_key, "purchase_edit", site.id, req.id)
        record("update", "purchase_request", req.id, site_id=site.id, before=before,
               lines={item.name: str(q) for item, q in lines})
    return req


def _locked(request_id: int, model=PurchaseRequest):
    """Load a request (or a release) with a row lock (PostgreSQL); SQLite's write lock is already held."""
    q = select(model).where(model.id == request_id)
    if db.session.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    return db.session.execute(q.execution_options(populate_existing=True)).scalar_one()


DECIDED = {"approve": "approved", "reject": "rejected"}


def decide(site: Site, manager: User, req: PurchaseRequest, version: int, action: str,
           approved: dict[int, str] | None = None, note: str | None = None) -> PurchaseRequest:
    """Approve (optionally changing quantities) or reject with a reason, exactly once."""
    if not can(manager, "purchases.decide"):
        raise PurchaseError(_("Only the manager approves purchases."))
    note = limited(note, 500, "note", PurchaseError)
    if action == "reject" and not note:
        raise PurchaseError(_("Give a reason for rejecting."), "note")
    if action not in ("approve", "reject"):
        raise PurchaseError(_("Approve or reject."))
    with write_tx():
        req = _locked(req.id)
        if req.requested_by_id == manager.id:
            raise PurchaseError(_("You cannot approve your own request."))
        if (req.status, req.decided_by_id, req.version) == (DECIDED[action], manager.id, version + 1):
            return req  # this manager's decision sent again (a double tap, a retry): the same answer
        if req.status != "pending":
            raise PurchaseConflict(_("This request has already been decided."))
        if req.version != version:
            raise PurchaseConflict(_("The request was changed while you were looking at it. Check it again."))
        changes = {}
        if action == "approve":
            for line in req.lines:
                raw = (approved or {}).get(line.id)
                qty = line.qty_requested if raw in (None, "") else _parse_qty(line.item, raw, f"qty-{line.id}")
                line.qty_approved = qty
                if qty != line.qty_requested:
                    changes[line.item.name] = f"{ledger.fmt(line.qty_requested)}→{ledger.fmt(qty)}"
            if all(line.qty_approved == 0 for line in req.lines):
                raise PurchaseError(_("Nothing left to buy: reject the request instead."), "note")
        req.status = "approved" if action == "approve" else "rejected"
        req.decided_by_id, req.decided_at, req.decision_note = manager.id, utcnow(), note
        req.version += 1
        record(action, "purchase_request", req.id, site_id=site.id, changes=changes, note=note, total=req.total)
    return req


def receive(site: Site, user: User, req: PurchaseRequest, quantities: dict[int, str], note: str | None,
            idem_key: str | None) -> Receipt:
    """Record a delivery (partial allowed); it posts 'received' rows for the manager to sign."""
    note = limited(note, 500, "note", PurchaseError)
    with write_tx():
        req = _locked(req.id)
        # Checked under the request's lock: a concurrent double tap waits, then finds the first receipt.
        if idem_key:
            done = db.session.scalar(select(Receipt).where(Receipt.idem_key == idem_key))
            if done is not None:
                return done
        if req.status not in RECEIVABLE:
            raise PurchaseError(_("Only approved requests can be received."))
        receipt = Receipt(site_id=site.id, request_id=req.id, received_by_id=user.id, note=note, idem_key=idem_key)
        db.session.add(receipt)
        db.session.flush()
        entries = []
        for line in req.lines:
            raw = quantities.get(line.id)
            if raw is None or str(raw).strip() in ("", "0"):
                continue
            qty = _parse_qty(line.item, raw, f"qty-{line.id}")
            if line.qty_received + qty > line.qty and not note:
                raise PurchaseError(_("More than approved (%(n)s): add a note saying why.",
                                      n=ledger.fmt(line.qty - line.qty_received)), f"qty-{line.id}")
            line.qty_received += qty
            db.session.add(ReceiptLine(receipt_id=receipt.id, line_id=line.id, qty=qty))
            entries.append((line.item, qty, "received"))
        if not entries:
            raise PurchaseError(_("Enter what arrived for at least one item."), "qty")
        # The stock rows' note column holds 200 characters; the receipt keeps the whole note.
        ledger.post(site.id, user.id, entries, ref_type="receipt", ref_id=receipt.id, note=note and note[:200])
        req.status = "received" if all(line.qty_received >= line.qty for line in req.lines) else "partial"
        req.version += 1
        record("receive", "purchase_request", req.id, site_id=site.id, receipt=receipt.id,
               items={i.name: str(q) for i, q, _r in entries}, note=note)
    return receipt


def sign_receipt(site: Site, manager: User, receipt: Receipt) -> Receipt:
    """The manager signs the stock-in (物品入库签批)."""
    if not can(manager, "purchases.sign"):
        raise PurchaseError(_("Only the manager signs a stock-in."))
    with write_tx():
        receipt = db.session.get(Receipt, receipt.id, with_for_update=True, populate_existing=True)
        if receipt.signed_at is not None:
            return receipt
        receipt.signed_by_id, receipt.signed_at = manager.id, utcnow()
        record("sign", "receipt", receipt.id, site_id=site.id, request=receipt.request_id)
    return receipt


def request_release(site: Site, user: User, item: Item, raw_qty, reason: str,
                    idem_key: str | None) -> FixtureRelease:
    """Ask to take a fixture out of a model room (放行)."""
    if item.kind != "fixture":
        raise PurchaseError(_("Only model-room fixtures need a release."), "item_id")
    qty = _parse_qty(item, raw_qty, "qty", allow_zero=False)
    reason = limited(reason, 500, "reason", PurchaseError)
    if not reason:
        raise PurchaseError(_("Say where it goes and why."), "reason")
    with write_tx():
        if idem_key:
            done = db.session.scalar(select(FixtureRelease).where(FixtureRelease.idem_key == idem_key))
            if done is not None:
                return done
        if qty > ledger.on_hand([item.id])[item.id]:
            raise PurchaseError(_("Only %(n)s in the room.", n=ledger.fmt(ledger.on_hand([item.id])[item.id])), "qty")
        rel = FixtureRelease(site_id=site.id, item_id=item.id, qty=qty, reason=reason,
                             requested_by_id=user.id, idem_key=idem_key)
        first = _add_once(rel, FixtureRelease, idem_key)
        if first is not rel:
            return first
        record("request", "fixture_release", rel.id, site_id=site.id, item=item.name, qty=qty)
    return rel


def decide_release(site: Site, manager: User, rel: FixtureRelease, approve: bool, note: str | None) -> FixtureRelease:
    if not can(manager, "fixtures.decide"):
        raise PurchaseError(_("Only the manager approves a release."))
    note = limited(note, 500, "note", PurchaseError)
    if not approve and not note:
        raise PurchaseError(_("Give a reason for rejecting."), "note")
    with write_tx():
        rel = _locked(rel.id, FixtureRelease)
        if (rel.status, rel.decided_by_id) == (DECIDED["approve" if approve else "reject"], manager.id):
            return rel  # this manager's decision sent again (a double tap, a retry): the same answer
        if rel.status != "pending":
            raise PurchaseError(_("This release has already been decided."))
        if approve:
            try:
                ledger.post(site.id, manager.id, [(rel.item, -rel.qty, "moved_out")], ref_type="release",
                            ref_id=rel.id, note=rel.reason[:200])
            except StockError as e:  # fewer left than when it was asked for: a message, not a 500
                raise PurchaseError(e.message, e.field) from None
        rel.status = "approved" if approve else "rejected"
        rel.decided_by_id, rel.decided_at, rel.decision_note = manager.id, utcnow(), note
        record("approve" if approve else "reject", "fixture_release", rel.id, site_id=site.id, note=note)
    return rel


def tomorrow(site: Site) -> date:
    """The day a request made today is for."""
    return site.today() + timedelta(days=1)
