"""recipes and preparations (pots brewed, fruit plates cut from raw stock); how the serve form offers an item

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'recipe_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('raw_item_id', sa.Integer(), nullable=False),
        sa.Column('qty', sa.Numeric(precision=12, scale=3), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_recipe_lines_item_id_items')),
        sa.ForeignKeyConstraint(['raw_item_id'], ['items.id'], name=op.f('fk_recipe_lines_raw_item_id_items')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_recipe_lines_site_id_sites')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recipe_lines')),
        sa.UniqueConstraint('item_id', 'raw_item_id', name=op.f('uq_recipe_lines_item_id_raw_item_id')),
    )
    with op.batch_alter_table('recipe_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recipe_lines_raw_item_id'), ['raw_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recipe_lines_site_id'), ['site_id'], unique=False)

    op.create_table(
        'preparations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('qty', sa.Numeric(precision=12, scale=3), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('idem_key', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_preparations_item_id_items')),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_preparations_site_id_sites')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_preparations_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_preparations')),
        sa.UniqueConstraint('idem_key', name=op.f('uq_preparations_idem_key')),
    )
    with op.batch_alter_table('preparations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_preparations_site_id'), ['site_id'], unique=False)

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('serve_as', sa.String(length=8), nullable=True))
    # Until now the serve form offered every consumable of the bar as a guest's drink: keep that, and let the
    # manager take cups, tea leaves and raw fruit off the menu.
    op.execute("UPDATE items SET serve_as = 'drink' WHERE kind = 'consumable'")


def downgrade():
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('serve_as')
    with op.batch_alter_table('preparations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_preparations_site_id'))
    op.drop_table('preparations')
    with op.batch_alter_table('recipe_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recipe_lines_site_id'))
        batch_op.drop_index(batch_op.f('ix_recipe_lines_raw_item_id'))
    op.drop_table('recipe_lines')
