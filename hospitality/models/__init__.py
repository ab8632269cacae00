"""All models, importable from one place."""
from .checklists import ChecklistAnswer, ChecklistItem, ChecklistRun, ChecklistTemplate
from .core import POSTS, AuditLog, Location, LoginSession, SalesRep, Site, User, manager_sites, utcnow
from .inventory import CountLine, Discrepancy, Item, StockCount, StockMove
from .purchasing import FixtureRelease, PurchaseLine, PurchaseRequest, Receipt, ReceiptLine
from .visits import RoomVisit, UmbrellaLoan, Visit, VisitEvent, VisitSeen

# Capability modules register their tables on import; import their classes from the module itself.
from . import (alerts, attendance, budgets, complaints, devices, evaluation, guests, handover, hq, idempotency,  # noqa: E402,F401  isort: skip
               incidents, inspections, linen, messages, patrol, repairs, tasks, workers)

__all__ = ["POSTS", "AuditLog", "ChecklistAnswer", "ChecklistItem", "ChecklistRun",
           "ChecklistTemplate", "CountLine", "Discrepancy", "FixtureRelease", "Item", "Location",
           "LoginSession", "PurchaseLine", "PurchaseRequest", "Receipt", "ReceiptLine", "SalesRep",
           "RoomVisit", "Site", "StockCount", "StockMove", "UmbrellaLoan", "User", "Visit", "VisitEvent",
           "VisitSeen", "manager_sites", "utcnow"]
