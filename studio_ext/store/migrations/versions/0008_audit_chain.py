"""audit events: a tamper-evident hash chain (hash, prev_hash), existing events chained in id order (issue 14)

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from studio_ext.security.audit_chain import GENESIS, hash_of
from studio_ext.store.orm import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    events = sa.table("audit_events", sa.column("event_id", sa.Integer), sa.column("time", UTCDateTime()),
                      sa.column("user", sa.String), sa.column("action", sa.String),
                      sa.column("resource_type", sa.String), sa.column("resource_id", sa.String),
                      sa.column("outcome", sa.String), sa.column("detail", sa.JSON),
                      sa.column("prev_hash", sa.String), sa.column("hash", sa.String))
    bind = op.get_bind()
    prev = GENESIS
    for row in bind.execute(sa.select(events).order_by(events.c.event_id)).all():
        digest = hash_of(row, prev)
        bind.execute(events.update().where(events.c.event_id == row.event_id).values(prev_hash=prev, hash=digest))
        prev = digest
    op.create_index("uq_audit_events_prev_hash", "audit_events", ["prev_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_audit_events_prev_hash", table_name="audit_events")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
