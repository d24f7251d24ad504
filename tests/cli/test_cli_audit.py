"""`studio audit list|verify|export` against a real server: the events of what the CLI just did,
an intact chain, and a CloudTrail-like export."""

from __future__ import annotations

import json


def test_given_mutations_when_listed_verified_and_exported_then_a_user_sees_them(studio_cli, make_file, tmp_path):
    make_file("audited.py", "print('hi')\n")
    submitted = studio_cli("jobs", "run", "audited.py", "-q")
    assert submitted.exit_code == 0, submitted.output
    job_id = submitted.output.strip()

    listed = studio_cli("audit", "list", "--resource-id", job_id)
    assert listed.exit_code == 0, listed.output
    assert "CreateJob" in listed.output and f"job/{job_id}" in listed.output and "Success" in listed.output

    verified = studio_cli("audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "The audit chain holds:" in verified.output

    out = tmp_path / "trail.jsonl"
    exported = studio_cli("audit", "export", "-o", str(out))
    assert exported.exit_code == 0, exported.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    mine = [r for r in records if r["resources"][0]["ARN"] == f"studio:job/{job_id}"]
    assert mine and mine[0]["eventName"] == "CreateJob" and mine[0]["userIdentity"]["userName"]
    assert [int(r["eventID"]) for r in records] == sorted(int(r["eventID"]) for r in records)  # oldest first
    assert all(len(r["additionalEventData"]["hash"]) == 64 for r in records)


def test_given_the_local_key_ring_when_rotated_then_the_new_key_is_active_and_the_old_one_kept(tmp_path):
    from click.testing import CliRunner

    from studio_ext.cli import cli

    runner = CliRunner()
    home = str(tmp_path / "home")

    first = runner.invoke(cli, ["keys", "list", "--home", home])
    rotated = runner.invoke(cli, ["keys", "rotate", "--home", home])
    listed = runner.invoke(cli, ["keys", "list", "--home", home])

    assert first.exit_code == 0 and first.stdout.split() == ["k1", "(active)"]
    assert rotated.exit_code == 0 and rotated.stdout.startswith("New active key k2 in ")
    assert listed.stdout.split() == ["k1", "k2", "(active)"]
