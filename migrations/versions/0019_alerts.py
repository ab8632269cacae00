"""alerts out: each site's group robots and the outbox of events to send

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert_robots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=True),
    sa.Column('events', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_alert_robots_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_robots'))
    )
    with op.batch_alter_table('alert_robots', schema=None) as batch_op:
        batch_op.create_index('ix_alert_robots_site', ['site_id'], unique=False)
    op.create_table('alert_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('robot_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['robot_id'], ['alert_robots.id'], name=op.f('fk_alert_outbox_robot_id_alert_robots'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_alert_outbox_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_outbox'))
    )
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_alert_outbox_due', ['state', 'next_try_at'], unique=False)
        batch_op.create_index('ix_alert_outbox_robot', ['robot_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('alert_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_outbox_robot')
        batch_op.drop_index('ix_alert_outbox_due')
    op.drop_table('alert_outbox')
    with op.batch_alter_table('alert_robots', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_robots_site')
    op.drop_table('alert_robots')
