"""routines: recurrence and assignment of checklists; linen sent to the laundry and back

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 13:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recurrence', sa.String(length=12), server_default='daily', nullable=False))
        batch_op.add_column(sa.Column('on_days', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('assignee', sa.String(length=12), server_default='post', nullable=False))
        batch_op.add_column(sa.Column('person_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_checklist_templates_person_id_users'), 'users', ['person_id'],
                                    ['id'])
    # Seed 000: the lounge rounds (休息室 10、12、15、17点自巡) are the attendant's, the water bar's post here; a
    # site seeded before gave them to the lead, who keeps seeing their completion on the inspections board.
    op.execute("UPDATE checklist_templates SET post = 'water_bar' WHERE seed_key = 'lounge_rounds' AND post = 'lead'")

    op.create_table('linen_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('idem', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_linen_batches_location_id_locations')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_linen_batches_sent_by_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_linen_batches_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linen_batches')),
    sa.UniqueConstraint('idem', name=op.f('uq_linen_batches_idem'))
    )
    with op.batch_alter_table('linen_batches', schema=None) as batch_op:
        batch_op.create_index('ix_linen_batches_site_open', ['site_id', 'closed_at'], unique=False)

    op.create_table('linen_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Boolean(), nullable=False),
    sa.Column('counted_by_id', sa.Integer(), nullable=False),
    sa.Column('counted_at', sa.DateTime(), nullable=False),
    sa.Column('idem', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['linen_batches.id'], name=op.f('fk_linen_counts_batch_id_linen_batches')),
    sa.ForeignKeyConstraint(['counted_by_id'], ['users.id'], name=op.f('fk_linen_counts_counted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linen_counts')),
    sa.UniqueConstraint('idem', 'kind', name=op.f('uq_linen_counts_idem_kind'))
    )
    with op.batch_alter_table('linen_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_linen_counts_batch_id'), ['batch_id'], unique=False)


def downgrade():
    with op.batch_alter_table('linen_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_linen_counts_batch_id'))
    op.drop_table('linen_counts')
    with op.batch_alter_table('linen_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_linen_batches_site_open')
    op.drop_table('linen_batches')
    op.execute("UPDATE checklist_templates SET post = 'lead' WHERE seed_key = 'lounge_rounds' AND post = 'water_bar'")
    with op.batch_alter_table('checklist_templates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_checklist_templates_person_id_users'), type_='foreignkey')
        batch_op.drop_column('person_id')
        batch_op.drop_column('assignee')
        batch_op.drop_column('on_days')
        batch_op.drop_column('recurrence')
