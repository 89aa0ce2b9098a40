"""The tdkt data model: SQLAlchemy 2.0 typed tables, database setup and migrations."""

from models.audit import AuditEvent, AuditHead
from models.base import Base
from models.campaigns import AwardForm, Campaign, RuleSetVersion
from models.council import AgendaItem, CouncilSession, SessionMember, SessionStatus, Tally
from models.data_version import DataVersion
from models.deadlines import Deadline, DeadlineStep, StepStatus
from models.decisions import Decision, DecisionCounter, DecisionEntry
from models.history import Achievement
from models.idempotency import IdempotencyKey
from models.notices import Notice, NoticeEntry, NoticeStage, Objection, ObjectionStatus
from models.notifications import MailStatus, Notification, OutboxMail
from models.org import Role, Unit, User, UserRole
from models.proposals import Document, Nominee, NomineeKind, Outcome, Proposal
from models.signins import EndedSession
from models.substitutes import Substitution
from models.throttle import LoginThrottle
from models.tokens import ApiToken, TokenScope

__all__ = [
    "Achievement",
    "AgendaItem",
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "AwardForm",
    "Base",
    "Campaign",
    "CouncilSession",
    "DataVersion",
    "Deadline",
    "DeadlineStep",
    "Decision",
    "DecisionCounter",
    "DecisionEntry",
    "Document",
    "EndedSession",
    "IdempotencyKey",
    "LoginThrottle",
    "MailStatus",
    "Nominee",
    "NomineeKind",
    "Notice",
    "NoticeEntry",
    "NoticeStage",
    "Notification",
    "Objection",
    "ObjectionStatus",
    "OutboxMail",
    "Outcome",
    "Proposal",
    "Role",
    "RuleSetVersion",
    "SessionMember",
    "SessionStatus",
    "StepStatus",
    "Substitution",
    "Tally",
    "TokenScope",
    "Unit",
    "User",
    "UserRole",
]
