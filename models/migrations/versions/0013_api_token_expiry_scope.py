"""api tokens expire and have a scope

Every token now has an expiry and a scope (read, or read and act). Tokens made before
this revision had neither: they get an expiry 90 days from the upgrade and the read-and-act
scope, so every client keeps working as it did until then (its owner sees the date on the
tokens page and makes a new token in time). The downgrade drops both columns.

Revision ID: 0013
Revises: 0010
Create Date: 2026-11-29
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = '0013'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What tokens existing at the upgrade get (the defaults of a new token in tdkt).
EXISTING_TOKENS_DAYS = 90
EXISTING_TOKENS_SCOPE = 'act'


def upgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('scope', sa.Enum('read', 'act', name='tokenscope',
                                                       native_enum=False, length=16),
                                      nullable=True))
    # Naive UTC, as UTCDateTime stores it.
    expires = (datetime.now(UTC) + timedelta(days=EXISTING_TOKENS_DAYS)).replace(tzinfo=None)
    op.execute(sa.text('UPDATE api_tokens SET expires_at = :expires, scope = :scope')
               .bindparams(sa.bindparam('expires', expires, type_=sa.DateTime()),
                           scope=EXISTING_TOKENS_SCOPE))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=models.base.UTCDateTime(),
                              nullable=False)
        batch_op.alter_column('scope', existing_type=sa.Enum('read', 'act', name='tokenscope',
                                                             native_enum=False, length=16),
                              nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('scope')
        batch_op.drop_column('expires_at')
