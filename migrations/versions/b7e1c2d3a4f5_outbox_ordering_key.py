"""outbox ordering key (accounting sync: one customer's changes delivered in order)

Revision ID: b7e1c2d3a4f5
Revises: cb45c425c91c
Create Date: 2026-12-01 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e1c2d3a4f5'
down_revision = 'cb45c425c91c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ordering_key', sa.String(length=100), nullable=True))
        batch_op.create_index('ix_outbox_message_ordering_key', ['ordering_key', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_message_ordering_key')
        batch_op.drop_column('ordering_key')
