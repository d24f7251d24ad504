"""CLI: `studio endpoints create|list|describe|invoke|update|rollback|metrics|delete` against a real server, agent and replicas."""

from __future__ import annotations

import json
import time

from serving_models import register_lr


def test_given_a_model_when_managed_with_the_cli_then_every_command_works(studio_cli, live_studio, tmp_path):
    config = live_studio.api("GET", "config").json()
    columns, head, expected = register_lr(config["mlflow_tracking_uri"], live_studio.studio_home / "test-artifacts",
                                          "cli-lr", versions=2, studio_home=live_studio.studio_home)
    result = studio_cli("endpoints", "create", "cli-ep", "--model", "models:/cli-lr/1", "--schema-enforcement", "strict",
                        "--wait")
    assert result.exit_code == 0, result.output
    assert "InService" in result.output
    result = studio_cli("endpoints", "list")
    assert "cli-ep" in result.output and "1/1" in result.output
    body = json.dumps({"dataframe_split": {"columns": columns, "data": head.values.tolist()}})
    result = studio_cli("endpoints", "invoke", "cli-ep", "--data", body)
    assert result.exit_code == 0 and json.loads(result.output) == {"predictions": expected}
    csv = tmp_path / "rows.csv"
    csv.write_text(head.to_csv(index=False))
    result = studio_cli("endpoints", "invoke", "cli-ep", "--file", str(csv))
    assert json.loads(result.output) == {"predictions": expected}
    result = studio_cli("endpoints", "invoke", "cli-ep", "--data", '{"instances": [[1, 2]]}')
    assert result.exit_code == 3 and "has 2 values" in result.output, result.output
    result = studio_cli("endpoints", "update", "cli-ep", "--model", "models:/cli-lr/2", "--wait")
    assert result.exit_code == 0, result.output
    result = studio_cli("endpoints", "describe", "cli-ep", "--json")
    described = json.loads(result.output)
    assert described["generation"] == 2
    assert [r["model_version"] for r in described["replicas"] if r["generation"] == 2] == ["2"]
    result = studio_cli("endpoints", "describe", "cli-ep")
    assert "previous configuration" in result.output and "models:/cli-lr/1" in result.output
    result = studio_cli("endpoints", "rollback", "cli-ep", "--wait")
    assert result.exit_code == 0, result.output
    described = json.loads(studio_cli("endpoints", "describe", "cli-ep", "--json").output)
    assert [v["model"] for v in described["variants"]] == ["models:/cli-lr/1"] and described["deployment"]["rollback"]
    # the history (sampled by the agent every 5 s) counts the 3 requests above; 1 was a 4xx
    for _ in range(40):
        history = json.loads(studio_cli("endpoints", "metrics", "cli-ep", "--since", "10m", "--json").output)
        if sum(p["invocations"] for p in history["series"][0]["points"]) >= 3:
            break
        time.sleep(0.5)
    whole = history["series"][0]["points"]
    assert sum(p["invocations"] for p in whole) == 3 and sum(p["errors_4xx"] for p in whole) == 1
    result = studio_cli("endpoints", "metrics", "cli-ep", "--since", "10m")
    assert result.exit_code == 0 and "requests/s" in result.output and "P99 MS" in result.output
    spark = next(line for line in result.output.splitlines() if line.startswith("requests/s"))
    assert len(spark) <= 80, spark  # the 120 ten-minute points fit a terminal, not one character each
    result = studio_cli("endpoints", "metrics", "cli-ep", "--since", "soon")
    assert result.exit_code == 2 and "--since" in result.output
    result = studio_cli("endpoints", "create", "bad", "--model", "models:/cli-lr/9")
    assert result.exit_code == 3 and "version 9" in result.output
    assert studio_cli("endpoints", "delete", "cli-ep").exit_code == 0
    assert studio_cli("endpoints", "describe", "ghost").exit_code == 3
