"""alerts: time-based events fired once, claimed sends, robot settings

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 16:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert_fired',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('ref', sa.String(length=60), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_alert_fired_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_fired')),
    sa.UniqueConstraint('site_id', 'kind', 'ref', name=op.f('uq_alert_fired_site_id_kind_ref'))
    )
    with op.batch_alter_table('alert_robots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wait_hours', sa.Integer(), server_default='4', nullable=False))
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
    with op.batch_alter_table('alert_robots', schema=None) as batch_op:
        batch_op.drop_column('wait_hours')
    op.drop_table('alert_fired')
