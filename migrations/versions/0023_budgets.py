"""consumables budget per site and month

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 16:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'budgets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column('set_by_id', sa.Integer(), nullable=False),
        sa.Column('set_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_budgets_set_by_id_users')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_budgets_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_budgets')),
        sa.UniqueConstraint('site_id', 'month', name=op.f('uq_budgets_site_id_month')),
    )


def downgrade():
    op.drop_table('budgets')
