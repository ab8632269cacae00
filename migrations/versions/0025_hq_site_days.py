"""head office's kept figures per site and closed day (hq_site_days)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 17:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

COUNTS = ("groups", "guests", "discrepancies", "shifts", "late", "rostered", "absent", "routines", "on_time",
          "feedback", "satisfied", "complaints", "incidents")


def upgrade():
    op.create_table('hq_site_days',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('cost', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('losses', sa.Numeric(precision=12, scale=2), nullable=False),
    *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_hq_site_days_site_id_sites')),
    sa.PrimaryKeyConstraint('site_id', 'day', name=op.f('pk_hq_site_days')),
    sqlite_with_rowid=False
    )


def downgrade():
    op.drop_table('hq_site_days')
