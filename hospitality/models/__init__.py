"""All models, importable from one place."""
from .checklists import ChecklistAnswer, ChecklistItem, ChecklistRun, ChecklistTemplate
from .core import POSTS, AuditLog, Location, LoginSession, SalesRep, Site, User, manager_sites, utcnow

__all__ = ["POSTS", "AuditLog", "ChecklistAnswer", "ChecklistItem", "ChecklistRun",
           "ChecklistTemplate", "Location", "LoginSession", "SalesRep", "Site", "User",
           "manager_sites", "utcnow"]
