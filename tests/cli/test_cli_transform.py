"""CLI: `studio transform-jobs create|wait|list|describe|delete` against a real server, agent and transform process."""

from __future__ import annotations

import json

import pandas as pd
from serving_models import register_lr


def test_given_files_when_transformed_with_the_cli_then_outputs_progress_and_the_bad_row(studio_cli, live_studio):
    config = live_studio.api("GET", "config").json()
    columns, head, expected = register_lr(config["mlflow_tracking_uri"], live_studio.studio_home / "test-artifacts",
                                          "cli-tr", studio_home=live_studio.studio_home)
    folder = live_studio.root_dir / "score-in"
    folder.mkdir()
    pd.concat([head] * 50).to_csv(folder / "a.csv", index=False)
    pd.concat([head] * 50).to_parquet(folder / "b.parquet", index=False)
    result = studio_cli("transform-jobs", "create", "models:/cli-tr/1", "score-in", "--output", "score-out",
                        "--join", "--instance-type", "local.small", "--wait")
    assert result.exit_code == 0, result.output
    assert "Completed" in result.output and f"{2 * 50 * len(head):,} rows" in result.output
    out = pd.read_csv(live_studio.root_dir / "score-out" / "a.out.csv")
    assert list(out.columns) == [*columns, "prediction"] and out["prediction"].tolist() == expected * 50
    job_id = result.output.split("Submitted transform job ", 1)[1].split()[0]
    described = json.loads(studio_cli("transform-jobs", "describe", job_id, "--json").output)
    assert (described["files_done"], described["files_total"], described["model_version"]) == (2, 2, "1")
    assert job_id in studio_cli("transform-jobs", "list").output

    bad = pd.concat([head] * 5).astype(object).reset_index(drop=True)
    bad.loc[3, columns[1]] = "n/a?"
    bad.to_csv(live_studio.root_dir / "bad.csv", index=False)
    result = studio_cli("transform-jobs", "create", "models:/cli-tr/1", "bad.csv", "--wait")
    assert result.exit_code == 1
    assert "bad.csv, row 3" in result.output and columns[1] in result.output
    result = studio_cli("transform-jobs", "create", "models:/cli-tr/1", "nowhere.csv")
    assert result.exit_code == 3 and "input" in result.output
    assert studio_cli("transform-jobs", "delete", job_id).exit_code == 0
    assert studio_cli("transform-jobs", "describe", job_id).exit_code == 3
    assert (live_studio.root_dir / "score-out" / "a.out.csv").exists()  # outputs stay
