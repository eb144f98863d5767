"""user session generation

A per-user counter that ends every session of the user when raised (logout, password change,
deactivation, role change): issue 17 item 5.

Revision ID: b7c1d2e3f405
Revises: 5f3a9c1e2b7d
Create Date: 2026-12-01 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b7c1d2e3f405'
down_revision = '5f3a9c1e2b7d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_session_generation',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id')
    )


def downgrade():
    op.drop_table('user_session_generation')
