"""one search document per customer, and prefix indexes for short terms (F21, issue 18)

`customer_search_text` holds each customer's case-folded search document (name, number,
organisation number, contacts' names, e-mails and phones) under one pg_trgm index, so a
search answers from one index instead of four. Filled here for existing customers by the
same function the write path uses (`app.services.search_text.document_for`).

Revision ID: 5f3a9c1e2b7d
Revises: 4900172f5dee
Create Date: 2026-12-01 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5f3a9c1e2b7d'
down_revision = '4900172f5dee'
branch_labels = None
depends_on = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    op.create_table('customer_search_text',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id')
    )
    _fill()
    if _postgresql():
        op.create_index('ix_customer_search_text_trgm', 'customer_search_text', ['document'], unique=False,
                        postgresql_using='gin', postgresql_ops={'document': 'gin_trgm_ops'})
        op.execute("CREATE INDEX ix_customer_name_prefix ON customer (lower(name) text_pattern_ops)")
        op.create_index('ix_customer_number_prefix', 'customer', ['customer_number'], unique=False,
                        postgresql_ops={'customer_number': 'text_pattern_ops'})


def _fill():
    """Every existing customer's document, 5 000 customers at a time (before the index: faster)."""
    from app.services.search_text import document_for

    bind = op.get_bind()
    customer = sa.table('customer', sa.column('id'), sa.column('name'), sa.column('customer_number'),
                        sa.column('customer_type'), sa.column('identity_number'))
    contact = sa.table('contact', sa.column('id'), sa.column('customer_id'), sa.column('name'),
                       sa.column('email'), sa.column('phone'))
    target = sa.table('customer_search_text', sa.column('customer_id'), sa.column('document'))
    last = 0
    while True:
        rows = bind.execute(sa.select(customer).where(customer.c.id > last).order_by(customer.c.id).limit(5000)).all()
        if not rows:
            return
        ids = [r.id for r in rows]
        contacts = {}
        for c in bind.execute(sa.select(contact).where(contact.c.customer_id.in_(ids))
                              .order_by(contact.c.customer_id, contact.c.id)):
            contacts.setdefault(c.customer_id, []).append((c.name, c.email, c.phone))
        bind.execute(sa.insert(target), [
            {"customer_id": r.id, "document": document_for(r.name, r.customer_number, r.customer_type,
                                                           r.identity_number, contacts.get(r.id, ()))}
            for r in rows
        ])
        last = ids[-1]


def downgrade():
    if _postgresql():
        op.drop_index('ix_customer_number_prefix', table_name='customer')
        op.drop_index('ix_customer_name_prefix', table_name='customer')
        op.drop_index('ix_customer_search_text_trgm', table_name='customer_search_text')
    op.drop_table('customer_search_text')
