"""tasks: one post asks of another table clearing target accepted on behalf

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 13:20:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
