"""incidents any post reports (kind, place, level, what happened, photos), their timeline, and drills

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OPEN = "status <> 'closed'"
ALERTING = "level = 'urgent' AND acknowledged_at IS NULL AND status <> 'closed'"


def upgrade():
    op.create_table(
        'incidents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('level', sa.String(length=8), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sa.Integer(), nullable=True),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('reported_by_id', sa.Integer(), nullable=False),
        sa.Column('reported_at', sa.DateTime(), nullable=False),
        sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
        sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('handed_to', sa.String(length=10), nullable=True),
        sa.Column('closed_by_id', sa.Integer(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.Column('idem_key', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'],
                                name=op.f('fk_incidents_acknowledged_by_id_users')),
        sa.ForeignKeyConstraint(['closed_by_id'], ['users.id'], name=op.f('fk_incidents_closed_by_id_users')),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_incidents_location_id_locations')),
        sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_incidents_reported_by_id_users')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_incidents_site_id_sites')),
        sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_incidents_visit_id_visits')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
        sa.UniqueConstraint('idem_key', name=op.f('uq_incidents_idem_key')),
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index('ix_incidents_site_reported', ['site_id', 'reported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_visit_id'), ['visit_id'], unique=False)
        # What is still open (security's handover, the today screens) and what still alerts (the live element).
        batch_op.create_index('ix_incidents_site_open', ['site_id'], unique=False,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.create_index('ix_incidents_site_alerting', ['site_id'], unique=False,
                              sqlite_where=sa.text(ALERTING), postgresql_where=sa.text(ALERTING))

    op.create_table(
        'incident_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('handed_to', sa.String(length=10), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('idem_key', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'],
                                name=op.f('fk_incident_events_incident_id_incidents')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_incident_events_site_id_sites')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_incident_events_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_events')),
        sa.UniqueConstraint('idem_key', name=op.f('uq_incident_events_idem_key')),
    )
    with op.batch_alter_table('incident_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_events_incident_id'), ['incident_id'], unique=False)
        batch_op.create_index('ix_incident_events_site_id_id', ['site_id', 'id'], unique=False)

    op.create_table(
        'incident_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['incident_events.id'],
                                name=op.f('fk_incident_photos_event_id_incident_events')),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'],
                                name=op.f('fk_incident_photos_incident_id_incidents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_photos')),
    )
    with op.batch_alter_table('incident_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_photos_incident_id'), ['incident_id'], unique=False)

    op.create_table(
        'drills',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('others', sa.String(length=200), nullable=True),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('idem_key', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_drills_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_drills_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_drills')),
        sa.UniqueConstraint('idem_key', name=op.f('uq_drills_idem_key')),
    )
    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.create_index('ix_drills_site_day', ['site_id', 'day'], unique=False)

    op.create_table(
        'drill_people',
        sa.Column('drill_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['drill_id'], ['drills.id'], name=op.f('fk_drill_people_drill_id_drills')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_drill_people_user_id_users')),
        sa.PrimaryKeyConstraint('drill_id', 'user_id', name=op.f('pk_drill_people')),
    )


def downgrade():
    op.drop_table('drill_people')
    with op.batch_alter_table('drills', schema=None) as batch_op:
        batch_op.drop_index('ix_drills_site_day')
    op.drop_table('drills')
    with op.batch_alter_table('incident_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_photos_incident_id'))
    op.drop_table('incident_photos')
    with op.batch_alter_table('incident_events', schema=None) as batch_op:
        batch_op.drop_index('ix_incident_events_site_id_id')
        batch_op.drop_index(batch_op.f('ix_incident_events_incident_id'))
    op.drop_table('incident_events')
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index('ix_incidents_site_alerting', sqlite_where=sa.text(ALERTING),
                            postgresql_where=sa.text(ALERTING))
        batch_op.drop_index('ix_incidents_site_open', sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.drop_index(batch_op.f('ix_incidents_visit_id'))
        batch_op.drop_index('ix_incidents_site_reported')
    op.drop_table('incidents')
