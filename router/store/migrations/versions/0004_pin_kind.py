"""pin kind: operator exclusions

Revision ID: 0004
Revises: 0003

A pin either serves its model (`pin`, every row before this revision) or pins the model
out of routing (`exclude`): the operator's way to drop a model that its provider has not
retired. An exclusion's category may be `*` (every category).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pin', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20),
                                      nullable=False, server_default='pin'))


def downgrade() -> None:
    # Exclusions have no meaning without the column: drop them rather than turn them
    # into pins that would serve the very model the operator pinned out.
    op.execute("DELETE FROM pin WHERE kind = 'exclude'")
    with op.batch_alter_table('pin', schema=None) as batch_op:
        batch_op.drop_column('kind')
