"""CLI: `studio endpoints create|list|describe|invoke|update|delete` against a real server, agent and replicas."""

from __future__ import annotations

import json

from serving_models import register_lr


def test_given_a_model_when_managed_with_the_cli_then_every_command_works(studio_cli, live_studio, tmp_path):
    config = live_studio.api("GET", "config").json()
    columns, head, expected = register_lr(config["mlflow_tracking_uri"], live_studio.studio_home / "test-artifacts",
                                          "cli-lr", versions=2, studio_home=live_studio.studio_home)
    result = studio_cli("endpoints", "create", "cli-ep", "--model", "models:/cli-lr/1", "--wait")
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
    assert result.exit_code == 3 and "has 2 values" in result.output
    result = studio_cli("endpoints", "update", "cli-ep", "--model", "models:/cli-lr/2", "--wait")
    assert result.exit_code == 0, result.output
    result = studio_cli("endpoints", "describe", "cli-ep", "--json")
    described = json.loads(result.output)
    assert described["generation"] == 2
    assert [r["model_version"] for r in described["replicas"] if r["generation"] == 2] == ["2"]
    result = studio_cli("endpoints", "create", "bad", "--model", "models:/cli-lr/9")
    assert result.exit_code == 3 and "version 9" in result.output
    assert studio_cli("endpoints", "delete", "cli-ep").exit_code == 0
    assert studio_cli("endpoints", "describe", "ghost").exit_code == 3
