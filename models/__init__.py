"""The tdkt data model: SQLAlchemy 2.0 typed tables, database setup and migrations."""

from models.audit import AuditEvent
from models.base import Base
from models.campaigns import AwardForm, Campaign, RuleSetVersion
from models.deadlines import Deadline, DeadlineStep, StepStatus
from models.notifications import MailStatus, Notification, OutboxMail
from models.org import Role, Unit, User, UserRole
from models.proposals import Document, Nominee, NomineeKind, Outcome, Proposal
from models.substitutes import Substitution
from models.tokens import ApiToken

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AwardForm",
    "Base",
    "Campaign",
    "Deadline",
    "DeadlineStep",
    "Document",
    "MailStatus",
    "Nominee",
    "NomineeKind",
    "Notification",
    "OutboxMail",
    "Outcome",
    "Proposal",
    "Role",
    "RuleSetVersion",
    "StepStatus",
    "Substitution",
    "Unit",
    "User",
    "UserRole",
]
