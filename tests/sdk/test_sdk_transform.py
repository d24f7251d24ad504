"""SDK: studio.transforms.create(...).wait() against a real server, agent and transform process."""

from __future__ import annotations

import pandas as pd
import pytest
from serving_models import register_lr

from studio_ext.exceptions import InvalidParameter, NotFound
from studio_ext.sdk import TransformFailed


def test_given_a_registered_model_when_files_are_transformed_from_the_sdk_then_outputs_and_the_bad_row(
        studio, live_studio):
    config = studio.config()
    columns, head, expected = register_lr(config.mlflow_tracking_uri, config.studio_home + "/test-artifacts",
                                          "sdk-tr", studio_home=config.studio_home)
    pd.concat([head] * 20).to_json(live_studio.root_dir / "rows.jsonl", orient="records", lines=True)
    seen = []
    job = studio.transforms.create("models:/sdk-tr/1", "rows.jsonl", instance_type="local.small")
    done = job.wait(timeout=240, poll=0.2, on_update=lambda d: seen.append(d.status.value))
    assert done.status.value == "Completed" and done.rows_done == 20 * len(head)
    assert seen[-1] == "Completed" and done.outputs == [f"transform-output/{job.transform_job_id}/rows.out.jsonl"]
    out = pd.read_json(live_studio.root_dir / done.outputs[0], lines=True)
    assert out["prediction"].tolist() == expected * 20
    assert job.transform_job_id in [d.transform_job_id for d in studio.transforms.list()]

    bad = pd.concat([head] * 3).astype(object).reset_index(drop=True)
    bad.loc[12, columns[0]] = "twelve"
    bad.to_csv(live_studio.root_dir / "bad.csv", index=False)
    with pytest.raises(TransformFailed, match=rf"bad.csv, row 12 .*{columns[0]}") as failed:
        studio.transforms.create("models:/sdk-tr/1", "bad.csv", instance_type="local.small").wait(timeout=240)
    assert "twelve" in failed.value.reason
    with pytest.raises(InvalidParameter, match="instance_type"):
        studio.transforms.create("models:/sdk-tr/1", "bad.csv", instance_type="huge")
    with pytest.raises(NotFound, match="version 7"):
        studio.transforms.create("models:/sdk-tr/7", "bad.csv")
    job.delete()
    with pytest.raises(NotFound):
        job.describe()
