"""batch transform jobs (issue 4)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import studio_ext.store.orm

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transform_jobs",
        sa.Column("transform_job_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("model_uri", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(length=32), nullable=True),
        sa.Column("input_path", sa.Text(), nullable=False),
        sa.Column("input_abspath", sa.Text(), nullable=False),
        sa.Column("output_path", sa.Text(), nullable=False),
        sa.Column("output_abspath", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=True),
        sa.Column("join_input", sa.Boolean(), nullable=False),
        sa.Column("instance_type", sa.String(length=64), nullable=False),
        sa.Column("chunk_mib", sa.Float(), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("pid_create_time", sa.Float(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", studio_ext.store.orm.UTCDateTime(), nullable=False),
        sa.Column("started_at", studio_ext.store.orm.UTCDateTime(), nullable=True),
        sa.Column("ended_at", studio_ext.store.orm.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("transform_job_id"),
    )
    with op.batch_alter_table("transform_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transform_jobs_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_transform_jobs_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transform_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transform_jobs_created_at"))
        batch_op.drop_index(batch_op.f("ix_transform_jobs_status"))
    op.drop_table("transform_jobs")
