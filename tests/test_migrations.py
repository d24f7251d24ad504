"""Alembic migrations: an old database upgrades with its rows intact, and down/up round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from studio_ext.store import migrations
from studio_ext.store.db import Database, dispose_engines, get_engine
from studio_ext.store.orm import Base

FIRST = "0001"


@pytest.fixture
def db_url(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'studio.db'}"
    yield url
    dispose_engines()


def _seed_revision_0001(url: str) -> None:
    """Rows written with the 0001 columns only, the way a 0.1.0 studio left them."""
    with get_engine(url).begin() as conn:
        conn.execute(text(
            "INSERT INTO jobs (job_id, name, kind, status, status_reason, input_path, input_abspath, working_dir,"
            " parameters, instance_type, timeout_seconds, max_retries, attempt, environment, tags, experiment_name,"
            " progress, outputs, created_at, updated_at)"
            " VALUES ('j1', 'train', 'notebook', 'Completed', NULL, 'nb.ipynb', '/r/nb.ipynb', '/r', :params,"
            " 'local.small', 60, 1, 1, '{}', '{}', 'train', '{}', '[]', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
            {"params": json.dumps({"alpha": 0.5})})
        conn.execute(text(
            "INSERT INTO job_definitions (job_definition_id, name, schedule, timezone, template, paused,"
            " max_concurrent_runs, missed_run_policy, deleted, created_at, updated_at)"
            " VALUES ('d1', 'nightly', '0 2 * * *', 'UTC', :tpl, 0, 1, 'skip', 0,"
            " '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
            {"tpl": json.dumps({"input": "nb.ipynb"})})
        conn.execute(text(
            "INSERT INTO audit_events (time, user, action, resource_type, resource_id, outcome, detail)"
            " VALUES ('2026-01-01 00:00:00', 'alice', 'CreateJob', 'Job', 'j1', 'Success', '{}')"))


def _rows(url: str) -> dict:
    with get_engine(url).connect() as conn:
        return {
            "job": conn.execute(text("SELECT job_id, name, status, parameters, instance_type FROM jobs")).all(),
            "definition": conn.execute(text("SELECT job_definition_id, schedule, template FROM job_definitions")).all(),
            "audit": conn.execute(text("SELECT user, action, resource_id, outcome FROM audit_events")).all(),
        }


def test_given_a_0001_database_with_rows_when_upgraded_to_head_then_rows_are_intact(db_url):
    migrations.upgrade(db_url, FIRST)
    assert migrations.current_revision(db_url) == FIRST
    _seed_revision_0001(db_url)
    before = _rows(db_url)

    Database(db_url)  # what every process does at start: upgrade to head

    assert migrations.current_revision(db_url) == migrations.head_revision()
    assert _rows(db_url) == before
    assert before["job"][0][0] == "j1" and json.loads(before["job"][0][3]) == {"alpha": 0.5}
    with get_engine(db_url).connect() as conn:  # a job of before distributed training ran on one instance
        assert conn.execute(text("SELECT instance_count FROM jobs")).scalar_one() == 1


def test_given_head_when_downgraded_to_0001_and_upgraded_again_then_rows_survive(db_url):
    migrations.upgrade(db_url, FIRST)
    _seed_revision_0001(db_url)
    before = _rows(db_url)
    migrations.upgrade(db_url)

    migrations.downgrade(db_url, FIRST)
    assert migrations.current_revision(db_url) == FIRST
    assert _rows(db_url) == before
    migrations.upgrade(db_url)
    assert migrations.current_revision(db_url) == migrations.head_revision()
    assert _rows(db_url) == before


def test_given_an_empty_file_when_upgraded_then_schema_equals_the_orm_and_base_roundtrips(db_url):
    migrations.upgrade(db_url)
    _assert_schema_matches_orm(db_url)

    migrations.downgrade(db_url, "base")
    tables = set(inspect(get_engine(db_url)).get_table_names()) - {"alembic_version"}
    assert tables == set()
    migrations.upgrade(db_url)
    _assert_schema_matches_orm(db_url)


def _assert_schema_matches_orm(url: str) -> None:
    # A column or index added to orm.py without a revision shows up here as a difference.
    with get_engine(url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"orm.py and the migrations disagree: {diff}"


def test_given_audit_events_of_0004_when_upgraded_then_resource_types_share_one_style(db_url):
    migrations.upgrade(db_url, FIRST)
    _seed_revision_0001(db_url)
    migrations.upgrade(db_url)
    with get_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT resource_type FROM audit_events")).scalars().all() == ["job"]
