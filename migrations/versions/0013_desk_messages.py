"""the front desk's call and message log: who called or came, for whom (a person of the site or a sales rep), the
message, a promised call-back, done by whom

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 11:21:31

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('desk_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('caller_name', sa.String(length=40), nullable=True),
    sa.Column('caller_phone', sa.String(length=20), nullable=True),
    sa.Column('for_user_id', sa.Integer(), nullable=True),
    sa.Column('for_rep_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('call_back_by', sa.DateTime(), nullable=True),
    sa.Column('taken_by_id', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=False),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('idem_key', sa.String(length=64), nullable=True),
    sa.CheckConstraint('(for_user_id IS NULL) <> (for_rep_id IS NULL)', name=op.f('ck_desk_messages_one_recipient')),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_desk_messages_done_by_id_users')),
    sa.ForeignKeyConstraint(['for_rep_id'], ['sales_reps.id'], name=op.f('fk_desk_messages_for_rep_id_sales_reps')),
    sa.ForeignKeyConstraint(['for_user_id'], ['users.id'], name=op.f('fk_desk_messages_for_user_id_users')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_desk_messages_site_id_sites')),
    sa.ForeignKeyConstraint(['taken_by_id'], ['users.id'], name=op.f('fk_desk_messages_taken_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_messages')),
    sa.UniqueConstraint('idem_key', name=op.f('uq_desk_messages_idem_key'))
    )
    with op.batch_alter_table('desk_messages', schema=None) as batch_op:
        batch_op.create_index('ix_desk_messages_for_user_open', ['for_user_id', 'done_at'], unique=False)
        batch_op.create_index('ix_desk_messages_site_open', ['site_id', 'done_at'], unique=False)
        batch_op.create_index('ix_desk_messages_site_taken', ['site_id', 'taken_at'], unique=False)


def downgrade():
    with op.batch_alter_table('desk_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_desk_messages_site_taken')
        batch_op.drop_index('ix_desk_messages_site_open')
        batch_op.drop_index('ix_desk_messages_for_user_open')

    op.drop_table('desk_messages')
