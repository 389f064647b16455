"""translation-memory index: postings, entries, vocabulary

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 07:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('tm_posting',
    sa.Column('token_hash', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('ntok', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('variant_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('token_hash', 'ntok', 'variant_id', name=op.f('pk_tm_posting')),
    sqlite_with_rowid=False
    )
    op.create_table('tm_vocab',
    sa.Column('token_hash', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('df', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_tm_vocab'))
    )
    op.create_table('tm_entry',
    sa.Column('variant_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('ntok', sa.Integer(), nullable=False),
    sa.Column('keys', sa.Text(), nullable=False),
    sa.Column('bases', sa.Text(), nullable=False),
    sa.Column('minor', sa.Text(), nullable=False),
    sa.Column('nums', sa.Text(), nullable=False),
    sa.Column('postings', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['variant_id'], ['variant.id'], name=op.f('fk_tm_entry_variant_id_variant'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('variant_id', name=op.f('pk_tm_entry'))
    )
    with op.batch_alter_table('tm_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tm_entry_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index('ix_tm_entry_lang_ntok', ['lang', 'ntok'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('tm_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_tm_entry_lang_ntok')
        batch_op.drop_index(batch_op.f('ix_tm_entry_unit_id'))
    op.drop_table('tm_entry')
    op.drop_table('tm_vocab')
    op.drop_table('tm_posting')
