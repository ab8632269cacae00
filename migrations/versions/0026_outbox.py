"""the time a write was made on the phone, beside the time it arrived (offline outbox)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 19:40:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
