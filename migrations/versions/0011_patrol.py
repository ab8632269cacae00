"""night patrols: checkpoints with their printed tokens, every scan (refused ones too), and a checklist's rounds
every so many minutes of a shift

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('require_photo', sa.Boolean(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('placed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_checkpoints_location_id_locations')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_checkpoints_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkpoints')),
    sa.UniqueConstraint('site_id', 'name', name=op.f('uq_checkpoints_site_id_name')),
    sa.UniqueConstraint('token', name=op.f('uq_checkpoints_token'))
    )
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkpoints_site_id'), ['site_id'], unique=False)

    op.create_table('patrol_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('slot', sa.String(length=20), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('checkpoint_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('refusal', sa.String(length=20), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lng', sa.Float(), nullable=True),
    sa.Column('accuracy', sa.Float(), nullable=True),
    sa.Column('distance_m', sa.Integer(), nullable=True),
    sa.Column('flags', sa.String(length=40), nullable=False),
    sa.Column('problem', sa.String(length=10), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('photo', sa.String(length=64), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('morning_task', sa.Boolean(), nullable=False),
    sa.Column('task_done_at', sa.DateTime(), nullable=True),
    sa.Column('task_done_by_id', sa.Integer(), nullable=True),
    sa.Column('task_note', sa.Text(), nullable=True),
    sa.Column('idem_key', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['checkpoint_id'], ['checkpoints.id'], name=op.f('fk_patrol_scans_checkpoint_id_checkpoints')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_patrol_scans_incident_id_incidents')),
    sa.ForeignKeyConstraint(['run_id'], ['checklist_runs.id'], name=op.f('fk_patrol_scans_run_id_checklist_runs')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_patrol_scans_site_id_sites')),
    sa.ForeignKeyConstraint(['task_done_by_id'], ['users.id'], name=op.f('fk_patrol_scans_task_done_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_patrol_scans_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patrol_scans')),
    sa.UniqueConstraint('idem_key', name=op.f('uq_patrol_scans_idem_key')),
    sa.UniqueConstraint('run_id', 'checkpoint_id', name=op.f('uq_patrol_scans_run_id_checkpoint_id'))
    )
    with op.batch_alter_table('patrol_scans', schema=None) as batch_op:
        batch_op.create_index('ix_patrol_scans_open_tasks', ['site_id', 'morning_task', 'task_done_at'], unique=False)
        batch_op.create_index('ix_patrol_scans_site_day', ['site_id', 'day'], unique=False)

    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shift_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('every_minutes', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_checklist_templates_shift_id_shifts'), 'shifts', ['shift_id'], ['id'])



def downgrade():
    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checklist_templates_shift_id_shifts'), type_='foreignkey')
        batch_op.drop_column('every_minutes')
        batch_op.drop_column('shift_id')

    with op.batch_alter_table('patrol_scans', schema=None) as batch_op:
        batch_op.drop_index('ix_patrol_scans_site_day')
        batch_op.drop_index('ix_patrol_scans_open_tasks')

    op.drop_table('patrol_scans')
    with op.batch_alter_table('checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkpoints_site_id'))

    op.drop_table('checkpoints')
