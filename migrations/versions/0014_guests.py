"""guests' satisfaction (staff's tap or their own answer through a visit's QR link) and VIP notices

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 11:45:00

"""
import sqlalchemy as sa
from alembic import op

UNSATISFIED = "rating = 'unsatisfied' AND handled_at IS NULL"

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('vip_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('plate', sa.String(length=10), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_vip_notices_created_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_vip_notices_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vip_notices')),
    sa.UniqueConstraint('site_id', 'plate', name=op.f('uq_vip_notices_site_id_plate'))
    )
    with op.batch_alter_table('vip_notices', schema=None) as batch_op:
        batch_op.create_index('ix_vip_notices_site_phone', ['site_id', 'phone'], unique=False)

    op.create_table('feedback_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('used_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_feedback_links_site_id_sites')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_feedback_links_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_links')),
    sa.UniqueConstraint('token', name=op.f('uq_feedback_links_token')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_feedback_links_visit_id'))
    )
    op.create_table('guest_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=16), nullable=False),
    sa.Column('remark', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('post', sa.String(length=20), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.Column('handled_by_id', sa.Integer(), nullable=True),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_guest_feedback_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['handled_by_id'], ['users.id'], name=op.f('fk_guest_feedback_handled_by_id_users')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_guest_feedback_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_guest_feedback_site_id_sites')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_guest_feedback_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_guest_feedback')),
    sa.UniqueConstraint('visit_id', name=op.f('uq_guest_feedback_visit_id'))
    )
    with op.batch_alter_table('guest_feedback', schema=None) as batch_op:
        batch_op.create_index('ix_guest_feedback_site_alerting', ['site_id', 'at'], unique=False, sqlite_where=sa.text(UNSATISFIED), postgresql_where=sa.text(UNSATISFIED))
        batch_op.create_index('ix_guest_feedback_site_day', ['site_id', 'day'], unique=False)



def downgrade():
    with op.batch_alter_table('guest_feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_guest_feedback_site_day')
        batch_op.drop_index('ix_guest_feedback_site_alerting', sqlite_where=sa.text(UNSATISFIED), postgresql_where=sa.text(UNSATISFIED))

    op.drop_table('guest_feedback')
    op.drop_table('feedback_links')
    with op.batch_alter_table('vip_notices', schema=None) as batch_op:
        batch_op.drop_index('ix_vip_notices_site_phone')

    op.drop_table('vip_notices')
