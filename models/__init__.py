"""The tdkt data model: SQLAlchemy 2.0 typed tables, database setup and migrations."""

from models.audit import AuditEvent
from models.base import Base
from models.campaigns import AwardForm, Campaign, RuleSetVersion
from models.deadlines import Deadline
from models.org import Role, Unit, User, UserRole
from models.proposals import Document, Nominee, NomineeKind, Outcome, Proposal

__all__ = [
    "AuditEvent",
    "AwardForm",
    "Base",
    "Campaign",
    "Deadline",
    "Document",
    "Nominee",
    "NomineeKind",
    "Outcome",
    "Proposal",
    "Role",
    "RuleSetVersion",
    "Unit",
    "User",
    "UserRole",
]
