"""every audit stream has a head; events and heads may carry a MAC

Until now only a proposal's chain had a head (on the proposal's row), so deleting the
last events of any other chain (a user's, a notice's, a council sitting's, a
decision's…), or all of them, went unnoticed. `audit_heads` holds the last seq and hash
of every stream that is not a proposal's; the upgrade fills it from the events as they
are (the newest event of each stream is taken as its head: what was deleted before this
revision cannot be told apart any more).

`audit_events.mac` and `proposals.audit_mac` (and `audit_heads.mac`) hold an HMAC under
the operator's TDKT_AUDIT_KEY, when one is set; everything written before is left
without one (verify reports such events as unkeyed). The downgrade drops the table and
the columns.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'audit_heads',
        sa.Column('stream', sa.String(length=60), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('mac', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('stream', name=op.f('pk_audit_heads')),
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audit_mac', sa.String(length=64), nullable=True))
    # One statement, on both databases: each stream's newest event is its head.
    op.execute(sa.text(
        "INSERT INTO audit_heads (stream, seq, hash) "
        "SELECT e.stream, e.seq, e.hash FROM audit_events e "
        "JOIN (SELECT stream, MAX(seq) AS seq FROM audit_events "
        "      WHERE stream NOT LIKE 'proposal:%' GROUP BY stream) last "
        "ON e.stream = last.stream AND e.seq = last.seq"))


def downgrade() -> None:
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_column('audit_mac')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('mac')
    op.drop_table('audit_heads')
