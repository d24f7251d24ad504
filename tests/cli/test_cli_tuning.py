"""`studio tuning-jobs create|wait|list|describe|stop|trials` against a real server and agent."""

from __future__ import annotations

import json

import yaml
from sklearn.datasets import load_breast_cancer

REQUEST = {"name": "cli-grid", "objective": {"metric": "score", "type": "Maximize"}, "max_parallel_trials": 2}


def rows_of(output: str) -> list[list[str]]:
    """The table's rows below its header, as words."""
    return [line.split() for line in output.splitlines()[1:] if line.strip()]


def test_given_a_request_file_and_flags_when_created_with_wait_then_the_grid_search_finds_the_best_values(
        studio_cli, live_studio, tuning_objective):
    (live_studio.root_dir / "tuning" / "request.yaml").write_text(
        yaml.safe_dump({**REQUEST, "training_job": {"input": tuning_objective}}))

    created = studio_cli("tuning-jobs", "create", "--file", str(live_studio.root_dir / "tuning" / "request.yaml"),
                         "--strategy", "Grid", "-r", "x=cat:0.1,0.3", "-r", "c=cat:a,b", "--wait")

    assert created.exit_code == 0, created.output
    tuning_job_id = created.output.split("Submitted tuning job ", 1)[1].split()[0]
    assert "(4 trials)" in created.output and "4/4 trials" in created.output
    assert f"Tuning job {tuning_job_id} Completed" in created.output
    assert "score = 1.1 with x=0.3, c=b" in created.output  # the grid's best point

    trials = studio_cli("tuning-jobs", "trials", tuning_job_id, "--sort-by", "objective")
    assert trials.exit_code == 0 and trials.output.split()[:6] == ["TRIAL", "STATUS", "SCORE", "X", "C", "JOB"]
    ranked = [(row[2], row[3], row[4]) for row in rows_of(trials.output)]
    assert ranked == [("1.1", "0.3", "b"), ("1.06", "0.1", "b"), ("1", "0.3", "a"), ("0.96", "0.1", "a")]
    assert all(row[1] == "Completed" and len(row[5]) >= 16 for row in rows_of(trials.output))  # and its job id
    by_number = [int(row[0]) for row in rows_of(studio_cli("tuning-jobs", "trials", tuning_job_id).output)]
    assert by_number == [0, 1, 2, 3]

    described = studio_cli("tuning-jobs", "describe", tuning_job_id)
    assert described.exit_code == 0
    lines = {line.split(None, 1)[0]: line for line in described.output.splitlines() if line.strip()}
    assert "4 of 4 ended: 4 completed, 0 pruned, 0 failed" in lines["Trials"]
    assert "Maximize score (last value)" in lines["Objective"] and "Grid, 2 in parallel" in lines["Strategy"]
    assert "score = 1.1 with x=0.3, c=b" in described.output
    importance = lines["Importance"].split(None, 1)[1]
    assert importance.startswith(("x ", "c ")) and ", " in importance  # both ranges, the stronger first
    as_json = json.loads(studio_cli("tuning-jobs", "describe", tuning_job_id, "--json").output)
    assert as_json["best_trial"]["parameters"] == {"x": 0.3, "c": "b"} and len(as_json["trials"]) == 4
    listed = studio_cli("tuning-jobs", "list")
    assert any(row[:3] == [tuning_job_id, "cli-grid", "Completed"] and row[4] == "4/4"
               for row in rows_of(listed.output))


def test_given_bad_ranges_when_created_then_the_cli_says_why_and_exits_non_zero(studio_cli, live_studio,
                                                                                tuning_objective):
    refused = studio_cli("tuning-jobs", "create", "--name", "cli-bad", "--metric", "score", "--objective-type",
                         "Maximize", "--input", tuning_objective, "-r", "x=float:1:0")
    assert refused.exit_code == 3 and "min must be below max (got min 1, max 0)" in refused.output

    data = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "label"}).head(60)
    data.to_csv(live_studio.root_dir / "tuning" / "cancer.csv", index=False)
    refused = studio_cli("tuning-jobs", "create", "--name", "cli-bad", "--metric", "validation:roc_auc",
                         "--algorithm", "xgboost", "--train", "tuning/cancer.csv", "-r", "max_depth=int:2:99")
    assert refused.exit_code == 3
    assert "parameter_ranges.max_depth: xgboost refuses max_depth = 99" in refused.output

    unparsed = studio_cli("tuning-jobs", "create", "--name", "cli-bad", "-r", "x=between:0:1")
    assert unparsed.exit_code == 2 and "unknown range kind 'between'" in unparsed.output
    assert studio_cli("tuning-jobs", "describe", "nope").exit_code == 3


def test_given_a_running_tuning_job_when_stopped_then_its_trials_stop_and_wait_exits_1(studio_cli, tuning_objective):
    created = studio_cli("tuning-jobs", "create", "--name", "cli-stop", "--metric", "score", "--objective-type",
                         "Maximize", "--input", tuning_objective, "-p", "steps", "30", "-p", "sleep", "1",
                         "-r", "x=float:0:1", "--max-trials", "3", "--max-parallel", "2", "-q")
    assert created.exit_code == 0, created.output
    tuning_job_id = created.output.strip()

    stopped = studio_cli("tuning-jobs", "stop", tuning_job_id)
    waited = studio_cli("tuning-jobs", "wait", tuning_job_id)

    assert stopped.exit_code == 0 and stopped.output.startswith(f"Tuning job {tuning_job_id} Stopp")
    assert waited.exit_code == 1 and f"Tuning job {tuning_job_id} Stopped: stop requested by" in waited.output
    again = studio_cli("tuning-jobs", "stop", tuning_job_id)
    assert again.exit_code == 3 and "already Stopped" in again.output
