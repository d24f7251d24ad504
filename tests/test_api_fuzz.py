"""An API fuzz of docs/api/openapi.yaml against a real studio: no 5xx, no response outside the spec.

Schemathesis generates valid and invalid requests for every documented operation (bounded: a fixed
number of examples per operation, a fixed seed so CI is repeatable) and checks each answer: not a
server error, a documented status code and content type, a body that matches the documented
schema. A job, a schedule and a tuning job exist beforehand, so the routes that take their ids get past
404.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from e2e.server import start_studio_server

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
EXAMPLES_PER_OPERATION = 20
SEED = 20261207
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_given_the_openapi_spec_when_fuzzed_then_no_5xx_and_every_answer_is_as_documented(tmp_path):
    server = start_studio_server(tmp_path / "root", tmp_path / "home", log_dir=tmp_path / "logs",
                                 start_agent=False)
    try:
        (server.root_dir / "train.py").write_text("print('fuzz')\n")
        job = server.api("POST", "jobs", json={"input": "train.py"}).json()["job_id"]
        schedule = server.api("POST", "job-definitions", json={
            "name": "nightly", "schedule": "0 3 * * *", "job": {"input": "train.py"}}).json()["job_definition_id"]
        tuning = server.api("POST", "tuning-jobs", json={
            "name": "fuzz", "objective": {"metric": "score", "type": "Maximize"},
            "parameter_ranges": {"x": {"type": "Continuous", "min": 0, "max": 1}},
            "training_job": {"input": "train.py"}}).json()["tuning_job_id"]
        (tmp_path / "schemathesis.toml").write_text(
            f'[parameters]\n"path.job_id" = "{job}"\n"path.job_definition_id" = "{schedule}"\n'
            f'"path.tuning_job_id" = "{tuning}"\n')
        exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent)) or "schemathesis"
        result = subprocess.run(
            [exe, "run", str(REPO / "docs" / "api" / "openapi.yaml"), "--url", server.url.rstrip("/"),
             "-H", f"Authorization: token {server.token}", "-n", str(EXAMPLES_PER_OPERATION), "--seed", str(SEED),
             "--checks", CHECKS, "--phases", "coverage,fuzzing", "--workers", "2", "--request-timeout", "60",
             "--no-color", "--generation-database", "none"],
            cwd=tmp_path, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]
        assert " passed" in result.stdout and "failed" not in result.stdout.split("SUMMARY")[-1]
    finally:
        server.stop()
