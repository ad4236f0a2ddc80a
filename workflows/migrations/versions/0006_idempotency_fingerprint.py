"""idempotency records keep a fingerprint of their request, and may await their answer

Revision ID: 0006
Revises: 0005

A key reused with another body must be refused (422 `idempotency_key_reused`), so the
record keeps the SHA-256 of its method, path and body. Records written before have none:
they are compared by method and path only. A record is written in the action's own
transaction, before its answer is known: status and body are filled in just after, so
until then they are null (a repeat then answers 409 `idempotency_key_in_use`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_records") as batch:
        batch.add_column(sa.Column("fingerprint", sa.String(64), nullable=True))
        batch.alter_column("status", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("body", existing_type=sa.JSON(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_records") as batch:
        batch.drop_column("fingerprint")
        batch.alter_column("body", existing_type=sa.JSON(), nullable=False)
        batch.alter_column("status", existing_type=sa.Integer(), nullable=False)
