"""the unsatisfied guests' partial index keyed on (site_id, rating, at): SQLite's planner, without statistics, took
the (site_id, day) index for the live element's count and read every answer of the site

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 14:10:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

UNSATISFIED = "rating = 'unsatisfied' AND handled_at IS NULL"


def upgrade():
    with op.batch_alter_table('guest_feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_guest_feedback_site_alerting', sqlite_where=sa.text(UNSATISFIED),
                            postgresql_where=sa.text(UNSATISFIED))
        batch_op.create_index('ix_guest_feedback_site_alerting', ['site_id', 'rating', 'at'], unique=False,
                              sqlite_where=sa.text(UNSATISFIED), postgresql_where=sa.text(UNSATISFIED))


def downgrade():
    with op.batch_alter_table('guest_feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_guest_feedback_site_alerting', sqlite_where=sa.text(UNSATISFIED),
                            postgresql_where=sa.text(UNSATISFIED))
        batch_op.create_index('ix_guest_feedback_site_alerting', ['site_id', 'at'], unique=False,
                              sqlite_where=sa.text(UNSATISFIED), postgresql_where=sa.text(UNSATISFIED))
