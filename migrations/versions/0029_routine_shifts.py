"""security's seeded opening and closing routines belong to the day and the night shift

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 01:00:00

A routine may name the shift it is done on (checklist_templates.shift_id, until now used by the patrol only): the
today screen shows it to the person rostered on that shift. New sites get security's opening on the day shift and its
closing on the night shift (seed.DEFAULT_ROUTINE_SHIFTS); this gives the same to the existing sites' routines that
still carry the seeded names and no shift. Nothing else changes: a routine the manager renamed keeps showing to
every guard until the manager picks its shift in the editor.
"""
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

SEEDED = (("opening", "白班上岗(大门/停车场)", "day"), ("closing", "夜班闭场检查", "night"))


def upgrade():
    for kind, name, code in SEEDED:
        op.execute(f"""
            UPDATE checklist_templates SET shift_id = (
                SELECT shifts.id FROM shifts WHERE shifts.site_id = checklist_templates.site_id
                AND shifts.code = '{code}')
            WHERE post = 'security' AND kind = '{kind}' AND name = '{name}' AND shift_id IS NULL
            AND EXISTS (SELECT 1 FROM shifts WHERE shifts.site_id = checklist_templates.site_id
                        AND shifts.code = '{code}')""")


def downgrade():
    for kind, name, _code in SEEDED:
        op.execute(f"""UPDATE checklist_templates SET shift_id = NULL
                       WHERE post = 'security' AND kind = '{kind}' AND name = '{name}'""")
