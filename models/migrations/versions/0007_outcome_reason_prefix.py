"""outcome reasons without the repeated "Không đạt: "

A nominee the Council did not pass is shown as "Không đạt — <reason>"; reasons written
before 28/11/2026 began with "Không đạt: " themselves, which the page then repeated. The
audit events keep the words as they were recorded.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX = "Không đạt: "
nominees = sa.table("nominees", sa.column("outcome_reason", sa.Text))


def upgrade() -> None:
    op.execute(nominees.update()
               .where(nominees.c.outcome_reason.startswith(PREFIX, autoescape=True))
               .values(outcome_reason=sa.func.substr(nominees.c.outcome_reason,
                                                     len(PREFIX) + 1)))


def downgrade() -> None:
    pass  # the shorter reason reads the same once the page prefixes it
