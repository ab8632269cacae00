"""repairs: reported assigned fixed checked, their timeline, photos and the crews that came for them

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 13:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

OPEN = "status <> 'checked'"


def upgrade():
    op.create_table(
        'repairs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('spot', sa.String(length=100), nullable=True),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('urgent', sa.Boolean(), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('reported_by_id', sa.Integer(), nullable=False),
        sa.Column('reported_at', sa.DateTime(), nullable=False),
        sa.Column('assignee', sa.String(length=12), nullable=True),
        sa.Column('assignee_user_id', sa.Integer(), nullable=True),
        sa.Column('company', sa.String(length=80), nullable=True),
        sa.Column('contact', sa.String(length=40), nullable=True),
        sa.Column('phone', sa.String(length=20), nullable=True),
        sa.Column('assigned_at', sa.DateTime(), nullable=True),
        sa.Column('fixed_at', sa.DateTime(), nullable=True),
        sa.Column('checked_at', sa.DateTime(), nullable=True),
        sa.Column('idem_key', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['assignee_user_id'], ['users.id'], name=op.f('fk_repairs_assignee_user_id_users')),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_repairs_incident_id_incidents')),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_repairs_location_id_locations')),
        sa.ForeignKeyConstraint(['reported_by_id'], ['users.id'], name=op.f('fk_repairs_reported_by_id_users')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_repairs_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_repairs')),
        sa.UniqueConstraint('idem_key', name=op.f('uq_repairs_idem_key')),
    )
    with op.batch_alter_table('repairs', schema=None) as batch_op:
        batch_op.create_index('ix_repairs_site_reported', ['site_id', 'reported_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_repairs_incident_id'), ['incident_id'], unique=False)
        # What is still open: the lead's list, the handovers of the posts that own the places.
        batch_op.create_index('ix_repairs_site_open', ['site_id'], unique=False,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))

    op.create_table(
        'repair_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('repair_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('assignee', sa.String(length=12), nullable=True),
        sa.Column('who', sa.String(length=200), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('idem_key', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['repair_id'], ['repairs.id'], name=op.f('fk_repair_events_repair_id_repairs')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_repair_events_site_id_sites')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_repair_events_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_events')),
        sa.UniqueConstraint('idem_key', name=op.f('uq_repair_events_idem_key')),
    )
    with op.batch_alter_table('repair_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_events_repair_id'), ['repair_id'], unique=False)

    op.create_table(
        'repair_photos',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('repair_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['repair_events.id'],
                                name=op.f('fk_repair_photos_event_id_repair_events')),
        sa.ForeignKeyConstraint(['repair_id'], ['repairs.id'], name=op.f('fk_repair_photos_repair_id_repairs')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_repair_photos')),
    )
    with op.batch_alter_table('repair_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_photos_repair_id'), ['repair_id'], unique=False)

    op.create_table(
        'repair_crews',
        sa.Column('crew_id', sa.Integer(), nullable=False),
        sa.Column('repair_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['crew_id'], ['worker_entries.id'],
                                name=op.f('fk_repair_crews_crew_id_worker_entries')),
        sa.ForeignKeyConstraint(['repair_id'], ['repairs.id'], name=op.f('fk_repair_crews_repair_id_repairs')),
        sa.PrimaryKeyConstraint('crew_id', name=op.f('pk_repair_crews')),
    )
    with op.batch_alter_table('repair_crews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_repair_crews_repair_id'), ['repair_id'], unique=False)


def downgrade():
    with op.batch_alter_table('repair_crews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_crews_repair_id'))
    op.drop_table('repair_crews')
    with op.batch_alter_table('repair_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_photos_repair_id'))
    op.drop_table('repair_photos')
    with op.batch_alter_table('repair_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_repair_events_repair_id'))
    op.drop_table('repair_events')
    with op.batch_alter_table('repairs', schema=None) as batch_op:
        batch_op.drop_index('ix_repairs_site_open', sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.drop_index(batch_op.f('ix_repairs_incident_id'))
        batch_op.drop_index('ix_repairs_site_reported')
    op.drop_table('repairs')
