"""contact and address versions

Optimistic locking on contacts and addresses, as on customers (issue 17 item 8).

Revision ID: c8d2e3f4a516
Revises: b7c1d2e3f405
Create Date: 2026-12-01 07:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c8d2e3f4a516'
down_revision = 'b7c1d2e3f405'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('contact', 'address'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    for table in ('contact', 'address'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
