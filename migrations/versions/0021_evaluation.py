"""staff evaluation: weights and rewards/penalties

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 16:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('evaluation_weights',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=20), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_evaluation_weights_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_weights')),
    sa.UniqueConstraint('site_id', 'rule', name=op.f('uq_evaluation_weights_site_id_rule'))
    )
    op.create_table('evaluation_adjustments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('yuan', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('idem', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_evaluation_adjustments_created_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_evaluation_adjustments_site_id_sites')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_evaluation_adjustments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_adjustments')),
    sa.UniqueConstraint('idem', name=op.f('uq_evaluation_adjustments_idem'))
    )
    with op.batch_alter_table('evaluation_adjustments', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_adjustments_site_month', ['site_id', 'month', 'user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('evaluation_adjustments', schema=None) as batch_op:
        batch_op.drop_index('ix_evaluation_adjustments_site_month')
    op.drop_table('evaluation_adjustments')
    op.drop_table('evaluation_weights')
