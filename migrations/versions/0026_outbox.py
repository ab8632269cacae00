"""the time a write was made on the phone, beside the time it arrived (offline outbox)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 19:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

COLUMNS = (("stock_counts", "made_at"), ("patrol_scans", "made_at"), ("incidents", "made_at"),
           ("attendance", "in_made_at"), ("attendance", "out_made_at"))


def upgrade():
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(column, sa.DateTime(), nullable=True))


def downgrade():
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(column)
