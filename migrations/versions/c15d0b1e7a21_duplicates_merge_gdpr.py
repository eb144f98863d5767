"""duplicate keys, merged customer numbers, import without duplicates (issue 15)

`customer.identity_key` (the identity number's last ten digits), `customer.name_key` (the
name folded, without legal form) and `customer.duplicate_key` (name key and invoice
postcode), indexed, and an index on the addresses' postcodes: a new customer is compared by
index lookups. `customer.possible_duplicate` flags a customer sharing a key with another
(kept on write); the list filter "possible duplicates" reads it through a partial index. Existing rows
get their keys here. `customer_alias` keeps the numbers of customers merged away, so a
search for one finds the survivor. `import_job.allow_duplicates`: insert mode refuses a
row that looks like an existing customer unless the user allows it.

Revision ID: c15d0b1e7a21
Revises: b7d1e5a0c311
Create Date: 2026-12-01 07:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c15d0b1e7a21'
down_revision = 'b7d1e5a0c311'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade():
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_key', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('name_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('duplicate_key', sa.String(length=210), nullable=True))
        batch_op.add_column(sa.Column('possible_duplicate', sa.Boolean(), server_default=sa.text('false'),
                                      nullable=False))

    op.create_table('customer_alias',
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('merged_name', sa.String(length=200), nullable=True),
    sa.Column('merged_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('number')
    )
    with op.batch_alter_table('customer_alias', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_alias_customer_id'), ['customer_id'], unique=False)

    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('allow_duplicates', sa.Boolean(), server_default='0', nullable=False))

    _fill_keys()

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_identity_key'), ['identity_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_name_key'), ['name_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_duplicate_key'), ['duplicate_key'], unique=False)
        batch_op.create_index('ix_customer_possible_duplicate_name', ['name', 'id'], unique=False,
                              sqlite_where=sa.text('possible_duplicate'), postgresql_where=sa.text('possible_duplicate'))
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.create_index('ix_address_postcode_kind', ['postcode', 'kind'], unique=False)
    # Only the customers that share a key are flagged (the column defaults to false), so this
    # touches a handful of rows, not the whole table.
    for key in ('identity_key', 'duplicate_key'):
        op.execute(f"UPDATE customer SET possible_duplicate = true WHERE {key} IN "
                   f"(SELECT {key} FROM customer WHERE {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1)")


def _fill_keys():
    """The keys of the customers already stored, in batches, with the same functions as the app,
    and every customer row written once (each full-table UPDATE rewrites every row and its index
    entries: at a million customers three passes took over 25 minutes)."""
    from app.services.duplicates import duplicate_key, identity_key, name_key

    connection = op.get_bind()
    customer = sa.table('customer', sa.column('id', sa.Integer), sa.column('name', sa.String),
                        sa.column('identity_number', sa.String), sa.column('identity_key', sa.String),
                        sa.column('name_key', sa.String), sa.column('duplicate_key', sa.String))
    address = sa.table('address', sa.column('id', sa.Integer), sa.column('customer_id', sa.Integer),
                       sa.column('kind', sa.String), sa.column('postcode', sa.String))
    postcode = (sa.select(address.c.postcode).where(address.c.customer_id == customer.c.id, address.c.kind == 'invoice')
                .order_by(address.c.id).limit(1).scalar_subquery())
    last = 0
    while True:
        rows = connection.execute(
            sa.select(customer.c.id, customer.c.name, customer.c.identity_number, postcode.label('postcode'))
            .where(customer.c.id > last).order_by(customer.c.id).limit(BATCH)).all()
        if not rows:
            break
        values = []
        for r in rows:
            ik, nk = identity_key(r.identity_number), name_key(r.name)
            dk = duplicate_key(nk, r.postcode)
            if ik or nk or dk:
                values.append({'_id': r.id, '_ik': ik, '_nk': nk, '_dk': dk})
        if values:
            connection.execute(
                customer.update().where(customer.c.id == sa.bindparam('_id'))
                .values(identity_key=sa.bindparam('_ik'), name_key=sa.bindparam('_nk'),
                        duplicate_key=sa.bindparam('_dk')), values)
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_column('allow_duplicates')
    with op.batch_alter_table('customer_alias', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_alias_customer_id'))
    op.drop_table('customer_alias')
    with op.batch_alter_table('address', schema=None) as batch_op:
        batch_op.drop_index('ix_address_postcode_kind')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_possible_duplicate_name')
        batch_op.drop_index(batch_op.f('ix_customer_duplicate_key'))
        batch_op.drop_index(batch_op.f('ix_customer_name_key'))
        batch_op.drop_index(batch_op.f('ix_customer_identity_key'))
        batch_op.drop_column('possible_duplicate')
        batch_op.drop_column('duplicate_key')
        batch_op.drop_column('name_key')
        batch_op.drop_column('identity_key')
