"""the idempotency keys of the writes whose rows carry no key column of their own (write_keys)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 20:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('write_keys',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_write_keys_site_id_sites')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_write_keys'))
    )


def downgrade():
    op.drop_table('write_keys')
