"""stock counts by site and submission time (the daily consumption report's counts)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 07:45:00

"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stock_counts', schema=None) as batch_op:
        batch_op.create_index('ix_stock_counts_site_submitted', ['site_id', 'submitted_at'], unique=False)


def downgrade():
    with op.batch_alter_table('stock_counts', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_counts_site_submitted')
