"""audit events: one resource_type style, the REST resource's name in kebab case (issue 9)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

RENAMED = {"Job": "job", "JobDefinition": "job-definition", "ModelVersion": "model-version",
           "ModelAlias": "model-alias", "RegisteredModel": "registered-model"}


def _rename(mapping: dict[str, str]) -> None:
    events = sa.table("audit_events", sa.column("resource_type", sa.String))
    for old, new in mapping.items():
        op.execute(events.update().where(events.c.resource_type == old).values(resource_type=new))


def upgrade() -> None:
    _rename(RENAMED)


def downgrade() -> None:
    _rename({new: old for old, new in RENAMED.items()})
