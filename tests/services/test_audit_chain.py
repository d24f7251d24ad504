"""The audit log's hash chain: intact as written, even by racing writers in several processes, and
broken exactly where an event was changed, removed or slipped in."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from studio_ext import schemas
from studio_ext.security.audit_chain import GENESIS
from studio_ext.services.audit import AuditService
from studio_ext.store import migrations
from studio_ext.store.db import Database, dispose_engines, get_engine

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def audit(tmp_path):
    service = AuditService(Database(f"sqlite:///{tmp_path / 'studio.db'}"))
    yield service
    dispose_engines()


def record(audit: AuditService, n: int, user: str = "alice") -> None:
    for i in range(n):
        audit.record(user, "CreateJob", "job", f"j{i}", schemas.AuditOutcome.SUCCESS, {"attempt": i, "note": "é"})


def execute(audit: AuditService, sql: str) -> None:
    with get_engine(audit.db.url).begin() as conn:
        conn.execute(text(sql))


def test_given_events_when_verified_then_the_chain_holds_and_links_each_event_to_the_one_before(audit):
    record(audit, 5)

    check = audit.verify()

    assert check.intact and check.events_checked == 5 and check.first_broken_event_id is None
    events = list(reversed(audit.list_events(schemas.ListAuditEventsQuery()).items))
    assert events[0].prev_hash == GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert len({e.hash for e in events}) == 5


@pytest.mark.parametrize(("tamper", "broken", "reason"), [
    ("UPDATE audit_events SET detail = '{\"attempt\": 99}' WHERE event_id = 3", 3, "the event was changed"),
    ("UPDATE audit_events SET user = 'mallory' WHERE event_id = 4", 4, "the event was changed"),
    ("DELETE FROM audit_events WHERE event_id = 3", 4, "an event was removed, inserted or reordered"),
    ("UPDATE audit_events SET outcome = 'Failure' WHERE event_id = 6", 6, "the event was changed"),
])
def test_given_a_tampered_log_when_verified_then_the_first_broken_event_is_named(audit, tamper, broken, reason):
    record(audit, 6)
    execute(audit, tamper)

    check = audit.verify()

    assert not check.intact
    assert check.first_broken_event_id == broken and reason in check.reason
    assert check.events_checked == broken - 1 - (1 if tamper.startswith("DELETE") else 0)


def test_given_an_event_inserted_with_a_forged_hash_then_the_chain_breaks_after_it(audit):
    record(audit, 3)
    last = audit.list_events(schemas.ListAuditEventsQuery()).items[0]
    # A forger who appends after the real last event with a made-up hash: the next real event no longer links.
    execute(audit, "INSERT INTO audit_events (time, user, action, resource_type, resource_id, outcome, detail,"
                   f" prev_hash, hash) VALUES ('2026-01-01 00:00:00', 'x', 'DeleteJob', 'job', 'j1', 'Success', '{{}}',"
                   f" '{last.hash}', '{'f' * 64}')")

    check = audit.verify()

    assert check.first_broken_event_id == 4 and "does not match its content" in check.reason


def test_given_writers_in_threads_and_processes_when_they_race_then_the_chain_stays_linear(audit):
    script = ("import sys; from studio_ext import schemas; from studio_ext.services.audit import AuditService; "
              "from studio_ext.store.db import Database; a = AuditService(Database(sys.argv[1])); "
              "[a.record(sys.argv[2], 'StopJob', 'job', str(i), schemas.AuditOutcome.SUCCESS) for i in range(40)]")
    procs = [subprocess.Popen([sys.executable, "-c", script, audit.db.url, f"proc{k}"], cwd=REPO) for k in range(2)]
    threads = [threading.Thread(target=record, args=(audit, 40, f"thread{k}")) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]

    check = audit.verify()

    assert check.intact and check.events_checked == 160


def test_given_events_from_before_the_chain_when_migrated_then_they_are_chained(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url, "0007")
    with get_engine(url).begin() as conn:
        for i in range(3):
            conn.execute(text("INSERT INTO audit_events (time, user, action, resource_type, resource_id, outcome,"
                              f" detail) VALUES ('2026-01-0{i + 1} 10:00:00', 'alice', 'CreateJob', 'job', 'j{i}',"
                              " 'Success', '{\"n\": 1}')"))
    try:
        audit = AuditService(Database(url))  # upgrades to head
        record(audit, 1)

        check = audit.verify()

        assert check.intact and check.events_checked == 4
    finally:
        dispose_engines()
