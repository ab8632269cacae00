"""complaints in six steps with their timeline, photos and remedies, follow-up calls, and each site's complaint
deadlines

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 11:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('guest_name', sa.String(length=40), nullable=True),
    sa.Column('guest_phone', sa.String(length=20), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('topic', sa.String(length=12), nullable=False),
    sa.Column('said', sa.Text(), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('respond_by', sa.DateTime(), nullable=False),
    sa.Column('close_by', sa.DateTime(), nullable=False),
    sa.Column('founded', sa.Boolean(), nullable=True),
    sa.Column('judged_at', sa.DateTime(), nullable=True),
    sa.Column('guest_confirmed', sa.Boolean(), nullable=True),
    sa.Column('cause', sa.Text(), nullable=True),
    sa.Column('responsible_post', sa.String(length=20), nullable=True),
    sa.Column('preventive', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('idem_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['registered_by_id'], ['users.id'], name=op.f('fk_complaints_registered_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_complaints_site_id_sites')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_complaints_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('idem_key', name=op.f('uq_complaints_idem_key'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_site_open', ['site_id', 'closed_at', 'registered_at'], unique=False)
        batch_op.create_index('ix_complaints_site_registered', ['site_id', 'registered_at'], unique=False)

    op.create_table('complaint_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('people', sa.String(length=200), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('idem_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_events_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_complaint_events_incident_id_incidents')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_complaint_events_site_id_sites')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_complaint_events_user_id_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_complaint_events_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_events')),
    sa.UniqueConstraint('idem_key', name=op.f('uq_complaint_events_idem_key'))
    )
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_events_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('complaint_remedies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('proposed_by_id', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('chosen', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_remedies_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['users.id'], name=op.f('fk_complaint_remedies_proposed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_remedies'))
    )
    with op.batch_alter_table('complaint_remedies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_remedies_complaint_id'), ['complaint_id'], unique=False)

    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('guest_name', sa.String(length=40), nullable=True),
    sa.Column('guest_phone', sa.String(length=20), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('last_idem', sa.String(length=64), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_follow_ups_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_follow_ups_created_by_id_users')),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_follow_ups_done_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_follow_ups_site_id_sites')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_follow_ups_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_ups_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index('ix_follow_ups_site_due', ['site_id', 'done_at', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_visit_id'), ['visit_id'], unique=False)

    op.create_table('complaint_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_photos_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['event_id'], ['complaint_events.id'], name=op.f('fk_complaint_photos_event_id_complaint_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_photos'))
    )
    with op.batch_alter_table('complaint_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_photos_complaint_id'), ['complaint_id'], unique=False)

    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('complaint_respond_hours', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('complaint_close_days', sa.Integer(), server_default='7', nullable=False))



def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('complaint_close_days')
        batch_op.drop_column('complaint_respond_hours')

    with op.batch_alter_table('complaint_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_photos_complaint_id'))

    op.drop_table('complaint_photos')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_visit_id'))
        batch_op.drop_index('ix_follow_ups_site_due')
        batch_op.drop_index(batch_op.f('ix_follow_ups_complaint_id'))

    op.drop_table('follow_ups')
    with op.batch_alter_table('complaint_remedies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_remedies_complaint_id'))

    op.drop_table('complaint_remedies')
    with op.batch_alter_table('complaint_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_events_complaint_id'))

    op.drop_table('complaint_events')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_site_registered')
        batch_op.drop_index('ix_complaints_site_open')

    op.drop_table('complaints')
