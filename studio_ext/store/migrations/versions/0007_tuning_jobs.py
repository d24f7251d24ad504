"""tuning jobs and their trials (issue 11)

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import studio_ext.store.orm

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tuning_jobs",
        sa.Column("tuning_job_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("max_trials", sa.Integer(), nullable=False),
        sa.Column("experiment_name", sa.String(length=256), nullable=False),
        sa.Column("mlflow_parent_run_id", sa.String(length=64), nullable=True),
        sa.Column("importances", sa.JSON(), nullable=False),
        sa.Column("warm_start_trials", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("stop_requested_at", studio_ext.store.orm.UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", studio_ext.store.orm.UTCDateTime(), nullable=False),
        sa.Column("started_at", studio_ext.store.orm.UTCDateTime(), nullable=True),
        sa.Column("ended_at", studio_ext.store.orm.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tuning_job_id"),
    )
    op.create_index("ix_tuning_jobs_name", "tuning_jobs", ["name"])
    op.create_index("ix_tuning_jobs_status", "tuning_jobs", ["status"])
    op.create_index("ix_tuning_jobs_created_at", "tuning_jobs", ["created_at"])
    op.create_table(
        "tuning_trials",
        sa.Column("tuning_job_id", sa.String(length=32), nullable=False),
        sa.Column("trial_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("job_id", sa.String(length=32), nullable=True),
        sa.Column("objective", sa.Float(), nullable=True),
        sa.Column("intermediate", sa.JSON(), nullable=False),
        sa.Column("created_at", studio_ext.store.orm.UTCDateTime(), nullable=False),
        sa.Column("ended_at", studio_ext.store.orm.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("tuning_job_id", "trial_number"),
    )
    op.create_index("ix_tuning_trials_job_id", "tuning_trials", ["job_id"])


def downgrade() -> None:
    op.drop_table("tuning_trials")
    op.drop_table("tuning_jobs")
