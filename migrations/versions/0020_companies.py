"""companies and head office: every site belongs to a company (the existing ones to one made here)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 16:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('companies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_companies')),
    sa.UniqueConstraint('code', name=op.f('uq_companies_code'))
    )
    # The sites there are run by one company: made here, every site put in it, then the column made NOT NULL.
    op.execute("INSERT INTO companies (name, code) VALUES ('本公司', 'COMPANY')")
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_id', sa.Integer(), nullable=True))
    op.execute("UPDATE sites SET company_id = (SELECT min(id) FROM companies)")
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.alter_column('company_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_sites_company_id'), ['company_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_sites_company_id_companies'), 'companies', ['company_id'], ['id'])


def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sites_company_id_companies'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_sites_company_id'))
        batch_op.drop_column('company_id')
    op.drop_table('companies')
