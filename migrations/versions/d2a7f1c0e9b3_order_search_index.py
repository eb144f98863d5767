"""the order list's search by the customer's own order number uses an index; storage settings for
the tables that churn (PostgreSQL)

At ten million orders the search "PO-7781" otherwise reads every order.

The customer, its search document and its history are updated in bulk (assignment, import,
renumbering). A fillfactor below 100 leaves room on each page so that an update that changes no
indexed column stays on its page (a HOT update: no new index entries), and autovacuum starts at
2 % dead rows instead of 20 %, so that a million-row table is cleaned after 20 000 changed rows,
not 200 000. See the README, "Operations at a million customers".

Revision ID: d2a7f1c0e9b3
Revises: c15d0b1e7a21
Create Date: 2026-12-01 12:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd2a7f1c0e9b3'
down_revision = 'c15d0b1e7a21'
branch_labels = None
depends_on = None

CHURNING = {
    'customer': 'fillfactor = 90, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.01',
    'customer_search_text': 'fillfactor = 90, autovacuum_vacuum_scale_factor = 0.02, '
                            'autovacuum_analyze_scale_factor = 0.01',
    'contact': 'autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.01',
    'customer_order': 'autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.01',
}


def upgrade():
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.create_index('ix_customer_order_customer_order_number', ['customer_order_number'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        for table, options in CHURNING.items():
            op.execute(f'ALTER TABLE {table} SET ({options})')


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in CHURNING:
            op.execute(f'ALTER TABLE {table} RESET (fillfactor, autovacuum_vacuum_scale_factor, '
                       'autovacuum_analyze_scale_factor)')
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_order_customer_order_number')
