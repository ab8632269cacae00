"""tasks: one post asks of another (a kind, a place or table, a visit, a person), accepted, done on behalf of the
cleaner, cancelled, a target in minutes; each site's targets for clearing a table and for other tasks

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 13:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='other', nullable=False))
        batch_op.add_column(sa.Column('visit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('location_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('table_label', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('assignee_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('raised_post', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('target_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('accepted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('on_behalf', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True))
        batch_op.alter_column('run_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_tasks_visit_id_visits'), 'visits', ['visit_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_tasks_location_id_locations'), 'locations', ['location_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_tasks_assignee_user_id_users'), 'users', ['assignee_user_id'],
                                    ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_tasks_accepted_by_id_users'), 'users', ['accepted_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_tasks_cancelled_by_id_users'), 'users', ['cancelled_by_id'],
                                    ['id'])
        batch_op.create_index(batch_op.f('ix_tasks_visit_id'), ['visit_id'], unique=False)
        batch_op.create_index('ix_tasks_site_person', ['site_id', 'assignee_user_id', 'status'], unique=False)
        batch_op.create_index('ix_tasks_creator', ['created_by_id', 'created_at'], unique=False)
        batch_op.create_index('ix_tasks_site_done', ['site_id', 'done_at'], unique=False)
    # Every task so far came from a failed inspection or grooming item.
    op.execute("UPDATE tasks SET kind = 'inspection' WHERE run_id IS NOT NULL")

    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('table_clear_minutes', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('task_target_minutes', sa.Integer(), server_default='30', nullable=False))


def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('task_target_minutes')
        batch_op.drop_column('table_clear_minutes')

    op.execute("DELETE FROM tasks WHERE run_id IS NULL")
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_site_done')
        batch_op.drop_index('ix_tasks_creator')
        batch_op.drop_index('ix_tasks_site_person')
        batch_op.drop_index(batch_op.f('ix_tasks_visit_id'))
        batch_op.drop_constraint(batch_op.f('fk_tasks_cancelled_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_tasks_accepted_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_tasks_assignee_user_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_tasks_location_id_locations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_tasks_visit_id_visits'), type_='foreignkey')
        batch_op.alter_column('run_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('cancelled_by_id')
        batch_op.drop_column('on_behalf')
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('accepted_by_id')
        batch_op.drop_column('target_minutes')
        batch_op.drop_column('raised_post')
        batch_op.drop_column('assignee_user_id')
        batch_op.drop_column('table_label')
        batch_op.drop_column('location_id')
        batch_op.drop_column('visit_id')
        batch_op.drop_column('kind')
