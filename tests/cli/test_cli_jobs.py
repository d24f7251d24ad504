"""`studio jobs ...`, `studio instance-types`, `studio config` against a real server and agent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

WAIT_S = 300


def _job_id(output: str) -> str:
    for word in output.split():
        if len(word) == 32 and all(c in "0123456789abcdef" for c in word):
            return word
    raise AssertionError(f"no job id in {output!r}")


def test_given_notebook_when_run_with_wait_then_exit_0_and_completed(studio_cli, make_notebook):
    rel = make_notebook("cli/ok.ipynb", ["print('value', alpha * n)"], params="alpha = 0.1\nn = 1")

    result = studio_cli("jobs", "run", rel, "-p", "alpha", "0.5", "-p", "n", "3", "--name", "cli-ok",
                        "--instance-type", "local.small", "--timeout", "600", "--retries", "0",
                        "--env", "FOO=bar", "--tag", "team=ml", "--experiment", "cli-exp", "--wait")

    assert result.exit_code == 0, result.output
    assert "Completed" in result.output
    job_id = _job_id(result.output)
    described = json.loads(studio_cli("jobs", "describe", job_id, "--json").output)
    assert described["status"] == "Completed"
    assert described["parameters"] == {"alpha": 0.5, "n": 3}
    assert described["environment"] == {"FOO": "bar"} and described["tags"] == {"team": "ml"}
    assert described["experiment_name"] == "cli-exp" and described["name"] == "cli-ok"
    assert described["mlflow_run_id"]
    assert "value 1.5" in studio_cli("jobs", "logs", job_id).output


def test_given_a_script_when_run_with_wait_then_the_bar_counts_no_cells(studio_cli, live_studio):
    (live_studio.root_dir / "cli").mkdir(exist_ok=True)
    (live_studio.root_dir / "cli" / "quick.py").write_text("print('script ran')\n")

    result = studio_cli("jobs", "run", "cli/quick.py", "--wait")

    assert result.exit_code == 0, result.output
    assert "Completed" in result.output
    assert "/?" not in result.output and "cells" not in result.output  # a script has no cells to count


def test_given_failing_notebook_when_run_with_wait_then_exit_1_and_failing_cell_printed(studio_cli, make_notebook):
    rel = make_notebook("cli/fails.ipynb", ["a = 1", "raise ValueError('bad input data')"])

    result = studio_cli("jobs", "run", rel, "--wait")

    assert result.exit_code == 1, result.output
    assert "Failed" in result.output
    assert "ValueError" in result.output and "bad input data" in result.output


def test_parameter_values_are_json_when_they_parse_else_strings(studio_cli, make_notebook):
    rel = make_notebook("cli/types.ipynb", ["print(a, b, c, d, e)"],
                        params="a = 0\nb = 'x'\nc = []\nd = False\ne = 'y'")

    result = studio_cli("jobs", "run", rel, "-q", "-p", "a", "2.5", "-p", "b", "iris", "-p", "c", "[1, 2]",
                        "-p", "d", "true", "-p", "e", '"007"')

    assert result.exit_code == 0, result.output
    job_id = result.output.strip()
    described = json.loads(studio_cli("jobs", "describe", job_id, "--json").output)
    assert described["parameters"] == {"a": 2.5, "b": "iris", "c": [1, 2], "d": True, "e": "007"}
    assert studio_cli("jobs", "wait", job_id).exit_code == 0


def test_given_finished_job_when_listed_described_outputs_downloaded_then_all_show_it(
        studio_cli, make_notebook, tmp_path):
    rel = make_notebook("cli/listed.ipynb", ["print('listed job ran')"])
    job_id = studio_cli("jobs", "run", rel, "-q", "--name", "cli-listed", "--wait").output.split()[0]

    listing = studio_cli("jobs", "list", "--name", "cli-listed")
    assert job_id in listing.output and "Completed" in listing.output
    as_json = json.loads(studio_cli("jobs", "list", "--status", "Completed", "--json").output)
    assert job_id in [j["job_id"] for j in as_json]

    described = studio_cli("jobs", "describe", job_id)
    assert "cli-listed" in described.output and "output.ipynb" in described.output

    outputs = studio_cli("jobs", "outputs", job_id)
    assert "output.ipynb" in outputs.output and "output.html" in outputs.output

    dest = tmp_path / "downloads"
    result = studio_cli("jobs", "download", job_id, "output.ipynb", "output.html", "-d", str(dest))
    assert result.exit_code == 0, result.output
    executed = nbformat.read(dest / "output.ipynb", as_version=4)
    assert any("listed job ran" in json.dumps(c.get("outputs", [])) for c in executed.cells)
    assert (dest / "output.html").stat().st_size > 0

    logs = studio_cli("jobs", "logs", job_id, "--follow")
    assert logs.exit_code == 0 and "listed job ran" in logs.output


def test_given_running_job_when_stopped_then_wait_exits_1_and_delete_removes_it(studio_cli, make_notebook):
    rel = make_notebook("cli/sleepy.ipynb", ["import time\ntime.sleep(300)"])
    job_id = studio_cli("jobs", "run", rel, "-q").output.strip()

    stopped = studio_cli("jobs", "stop", job_id)
    assert stopped.exit_code == 0, stopped.output
    assert "Stopp" in stopped.output

    waited = studio_cli("jobs", "wait", job_id)
    assert waited.exit_code == 1 and "Stopped" in waited.output

    assert studio_cli("jobs", "delete", job_id).exit_code == 0
    gone = studio_cli("jobs", "describe", job_id)
    assert gone.exit_code == 3 and job_id in gone.output


def test_given_bad_requests_then_exit_3_with_the_servers_message(studio_cli, make_notebook):
    make_notebook("cli/noparams.ipynb", ["print(1)"])

    missing = studio_cli("jobs", "run", "cli/nope.ipynb")
    assert missing.exit_code == 3 and "input" in missing.output and "nope.ipynb" in missing.output

    unknown_type = studio_cli("jobs", "run", "cli/noparams.ipynb", "--instance-type", "x.huge")
    assert unknown_type.exit_code == 3 and "instance_type" in unknown_type.output

    no_cell = studio_cli("jobs", "run", "cli/noparams.ipynb", "-p", "a", "1")
    assert no_cell.exit_code == 3 and "parameters" in no_cell.output

    assert studio_cli("jobs", "describe", "nope").exit_code == 3


def test_given_bad_usage_then_exit_2(studio_cli):
    result = studio_cli("jobs", "run", "x.ipynb", "--env", "NOEQUALS")
    assert result.exit_code == 2 and "KEY=VALUE" in result.output


def test_given_unreachable_server_or_bad_token_then_exit_4(studio_cli, live_studio):
    unreachable = studio_cli("--url", "http://127.0.0.1:9", "jobs", "list")
    assert unreachable.exit_code == 4 and "cannot reach" in unreachable.output
    bad_token = studio_cli("--token", "wrong", "jobs", "list")
    assert bad_token.exit_code == 4


def test_instance_types_and_config(studio_cli, live_studio):
    types = studio_cli("instance-types")
    assert types.exit_code == 0 and "local.small" in types.output and "local.gpu" in types.output
    config = json.loads(studio_cli("config", "--json").output)
    assert config["url"] == live_studio.url and "jobs" in config["features"]
    assert config["studio_home"] == str(live_studio.studio_home)


def test_config_save_writes_a_private_config_file_the_next_call_uses(studio_cli, live_studio, tmp_path):
    path = tmp_path / "cfg" / "studio.json"
    saved = studio_cli("config", "--save", env={"STUDIO_CONFIG": str(path)})
    assert saved.exit_code == 0, saved.output
    assert json.loads(path.read_text()) == {"url": live_studio.url, "token": live_studio.token}
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    # With only the file (no STUDIO_URL), the CLI still finds the server.
    env = {**os.environ, "STUDIO_CONFIG": str(path)}
    env.pop("STUDIO_URL", None)
    env.pop("STUDIO_TOKEN", None)
    result = subprocess.run(_studio_command() + ["instance-types"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "local.small" in result.stdout


def test_installed_studio_command_runs_a_job_and_waits(client_env, make_notebook):
    rel = make_notebook("cli/subprocess.ipynb", ["print('from the real command')"])
    env = {**os.environ, **client_env}

    result = subprocess.run(_studio_command() + ["jobs", "run", rel, "--wait"], env=env, capture_output=True,
                            text=True, timeout=WAIT_S)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Completed" in result.stdout


def test_agent_subcommand_hands_its_arguments_to_the_agent():
    result = subprocess.run(_studio_command() + ["agent", "--help"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "--warm-pool" in result.stdout and "--db-url" in result.stdout


def _studio_command() -> list[str]:
    """The `studio` console script when installed (make test installs it), else the module."""
    script = Path(sys.executable).parent / "studio"
    return [str(script)] if script.exists() else [sys.executable, "-m", "studio_ext.cli"]


def test_given_running_job_when_logs_followed_then_all_output_until_the_end(studio_cli, make_notebook):
    rel = make_notebook("cli/chatty.ipynb", [
        "import time\nfor i in range(5):\n    print('tick', i, flush=True)\n    time.sleep(1)",
        "print('last line')"])
    job_id = studio_cli("jobs", "run", rel, "-q").output.strip()

    followed = studio_cli("jobs", "logs", job_id, "--follow")

    assert followed.exit_code == 0, followed.output
    for i in range(5):
        assert f"tick {i}" in followed.output
    assert "last line" in followed.output
    assert json.loads(studio_cli("jobs", "describe", job_id, "--json").output)["status"] == "Completed"
