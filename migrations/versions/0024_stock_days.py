"""the ledger's daily totals per item, site-local day and reason (stock_days), filled from the ledger

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 16:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stock_days',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=12), nullable=False),
    sa.Column('qty', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('reversed', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_stock_days_item_id_items')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_stock_days_site_id_sites')),
    sa.PrimaryKeyConstraint('site_id', 'day', 'item_id', 'reason', name=op.f('pk_stock_days'))
    )
    from hospitality.inventory.rollup import rebuild  # the one home of the totals' rule
    rebuild(op.get_bind())


def downgrade():
    op.drop_table('stock_days')
