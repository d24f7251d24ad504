"""endpoint metric history and rollback requests (issue 4)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

import studio_ext.store.orm

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endpoint_metric_samples",
        sa.Column("sample_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("endpoint_name", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=True),
        sa.Column("replica_id", sa.String(length=32), nullable=False),
        sa.Column("at", studio_ext.store.orm.UTCDateTime(), nullable=False),
        sa.Column("delta", sa.JSON(), nullable=False),
        sa.Column("total", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("sample_id"),
    )
    with op.batch_alter_table("endpoint_metric_samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_endpoint_metric_samples_replica_id"), ["replica_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_endpoint_metric_samples_at"), ["at"], unique=False)
        batch_op.create_index("ix_endpoint_metric_samples_endpoint_at", ["endpoint_name", "at"], unique=False)
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rollback_requested_at", studio_ext.store.orm.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("rollback_requested_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.drop_column("rollback_requested_by")
        batch_op.drop_column("rollback_requested_at")
    with op.batch_alter_table("endpoint_metric_samples", schema=None) as batch_op:
        batch_op.drop_index("ix_endpoint_metric_samples_endpoint_at")
        batch_op.drop_index(batch_op.f("ix_endpoint_metric_samples_at"))
        batch_op.drop_index(batch_op.f("ix_endpoint_metric_samples_replica_id"))
    op.drop_table("endpoint_metric_samples")
