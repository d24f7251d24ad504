"""endpoints and endpoint replicas (issue 4)

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import studio_ext.store.orm

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "endpoints",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("previous_config", sa.JSON(), nullable=True),
        sa.Column("deployment", sa.JSON(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", studio_ext.store.orm.UTCDateTime(), nullable=False),
        sa.Column("updated_at", studio_ext.store.orm.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_endpoints_status"), ["status"], unique=False)
    op.create_table(
        "endpoint_replicas",
        sa.Column("replica_id", sa.String(length=32), nullable=False),
        sa.Column("endpoint_name", sa.String(length=64), nullable=False),
        sa.Column("variant", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("model_uri", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=True),
        sa.Column("model_path", sa.Text(), nullable=True),
        sa.Column("instance_type", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("pid_create_time", sa.Float(), nullable=True),
        sa.Column("restarts", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("started_at", studio_ext.store.orm.UTCDateTime(), nullable=True),
        sa.Column("healthy_at", studio_ext.store.orm.UTCDateTime(), nullable=True),
        sa.Column("updated_at", studio_ext.store.orm.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("replica_id"),
    )
    with op.batch_alter_table("endpoint_replicas", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_endpoint_replicas_endpoint_name"), ["endpoint_name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("endpoint_replicas", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_endpoint_replicas_endpoint_name"))
    op.drop_table("endpoint_replicas")
    with op.batch_alter_table("endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_endpoints_status"))
    op.drop_table("endpoints")
