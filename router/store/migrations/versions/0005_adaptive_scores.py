"""adaptive scores

Revision ID: 0005
Revises: 0004

A score may come from an adaptive run (`routerx assess --adaptive`): the tasks asked in a
seeded random order, stopped once the model's layer was decided at a stated confidence.
`adaptive` holds that decision (tasks asked of the suite, confidence, the interval of the
full run's pass count, the layer decided); null for a score of every task. Existing
scores all covered every task they planned, so they stay null.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('benchmark_score', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adaptive', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('benchmark_score', schema=None) as batch_op:
        batch_op.drop_column('adaptive')
