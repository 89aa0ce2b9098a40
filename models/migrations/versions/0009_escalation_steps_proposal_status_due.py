"""escalation steps by proposal, status and due time

The sweep asks, for each due step, whether an earlier rung of the same proposal is still
pending; this index answers with one probe. It replaces the index on proposal_id alone,
which it starts with.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_escalation_steps_proposal_status_due', 'escalation_steps',
                    ['proposal_id', 'status', 'due_at'], unique=False)
    op.drop_index('ix_escalation_steps_proposal_id', table_name='escalation_steps')


def downgrade() -> None:
    op.create_index('ix_escalation_steps_proposal_id', 'escalation_steps', ['proposal_id'],
                    unique=False)
    op.drop_index('ix_escalation_steps_proposal_status_due', table_name='escalation_steps')
