"""Batch transform engine: real files, real worker processes, the bad row's location."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest
from serving_models import REPO, registered_models  # noqa: F401

from studio_ext.serving import transform


@pytest.fixture(scope="module")
def frame(registered_models):  # noqa: F811
    rows = registered_models.rows * 50  # 1,000 rows
    return pd.DataFrame(rows, columns=registered_models.columns), registered_models.expected * 50


def test_given_csv_jsonl_and_parquet_files_in_a_folder_then_every_row_is_scored_in_order(tmp_path, frame,
                                                                                       registered_models):  # noqa: F811
    df, expected = frame
    folder = tmp_path / "in"
    folder.mkdir()
    df.to_csv(folder / "a.csv", index=False)
    df.to_json(folder / "b.jsonl", orient="records", lines=True)
    df.to_parquet(folder / "c.parquet", index=False, row_group_size=300)
    progress = tmp_path / "progress.json"
    # tiny chunks: many tasks over 2 workers, answers must still come back in input order
    result = transform.run(registered_models.paths["lr/1"], str(folder), str(tmp_path / "out"),
                           chunk_bytes=4096, workers=2, progress_file=str(progress))
    assert result["rows"] == 3 * len(df) and result["files"] == 3
    assert pd.read_csv(tmp_path / "out" / "a.out.csv")["prediction"].tolist() == expected
    assert pd.read_json(tmp_path / "out" / "b.out.jsonl", lines=True)["prediction"].tolist() == expected
    assert pq.read_table(tmp_path / "out" / "c.out.parquet").column("prediction").to_pylist() == expected
    assert json.loads(progress.read_text()) == {"files_total": 3, "files_done": 3, "rows_done": 3 * len(df)}


def test_given_join_then_predictions_follow_the_input_columns(tmp_path, frame, registered_models):  # noqa: F811
    df, expected = frame
    df.to_csv(tmp_path / "x.csv", index=False)
    transform.run(registered_models.paths["lr/1"], str(tmp_path / "x.csv"), str(tmp_path / "out"), join=True,
                  chunk_bytes=8192, workers=2)
    out = pd.read_csv(tmp_path / "out" / "x.out.csv")
    assert list(out.columns) == [*df.columns, "prediction"]
    assert out["prediction"].tolist() == expected
    assert out["mean radius"].tolist() == pytest.approx(df["mean radius"].tolist())


def test_given_a_bad_row_then_the_transform_fails_naming_file_row_and_column(tmp_path, frame, registered_models):  # noqa: F811
    df, _expected = frame
    bad = df.astype(object)
    bad.loc[700, "mean texture"] = "lots"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "studio_ext.serving.transform", "--model-uri",
                             registered_models.paths["lr/1"], "--input", str(tmp_path / "bad.csv"), "--output",
                             str(tmp_path / "out"), "--chunk-mib", "0.01", "--workers", "2"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "bad.csv, row 700 (line 702): column 'mean texture': expected a number, got 'lots'" in result.stderr
    bad.loc[700, "mean texture"] = None
    bad.to_parquet(tmp_path / "nulls.parquet", index=False)
    with pytest.raises(transform.TransformError, match="nulls.parquet, row 700: column 'mean texture': a value is "
                                                       "required"):
        transform.run(registered_models.paths["lr/1"], str(tmp_path / "nulls.parquet"), str(tmp_path / "o"),
                      workers=1)
    with pytest.raises(transform.TransformError, match="missing"):
        df.drop(columns=["mean area"]).to_csv(tmp_path / "narrow.csv", index=False)
        transform.run(registered_models.paths["lr/1"], str(tmp_path / "narrow.csv"), str(tmp_path / "out2"), workers=1)
    with pytest.raises(transform.TransformError, match="no CSV"):
        (tmp_path / "empty").mkdir()
        transform.run(registered_models.paths["lr/1"], str(tmp_path / "empty"), str(tmp_path / "out3"))
