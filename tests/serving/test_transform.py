"""Batch transform engine: real files, real worker processes, the bad row's location."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
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
    lines = (tmp_path / "x.csv").read_text().splitlines(keepends=True)
    assert (tmp_path / "out" / "x.out.csv").read_text() == "".join(
        line.rstrip("\n") + f",{p}\n" for line, p in zip(lines, ["prediction", *expected], strict=True))
    # CRLF line ends, blank lines and no newline at the end: the same rows, the same output
    crlf = "\r\n".join(line.rstrip("\n") for line in lines[:400]) + "\r\n\r\n  \r\n" + \
        "".join(lines[400:]).rstrip("\n")
    (tmp_path / "y.csv").write_bytes(crlf.encode())
    transform.run(registered_models.paths["lr/1"], str(tmp_path / "y.csv"), str(tmp_path / "out"), join=True,
                  chunk_bytes=8192, workers=2)
    assert (tmp_path / "out" / "y.out.csv").read_text() == (tmp_path / "out" / "x.out.csv").read_text()


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


# ---------------------------------------------------------------------------- more models


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Models saved as MLflow model folders: `text` (a scikit-learn pipeline over a free-text column
    and a number, cloudpickle), `pickled` (the breast_cancer logistic regression, cloudpickle),
    `multi` (a regression with two outputs per row, skops) and `frame` (a pyfunc model that
    returns a DataFrame)."""
    import mlflow.pyfunc
    import mlflow.sklearn
    from mlflow.models import infer_signature
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_breast_cancer
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.pipeline import make_pipeline

    tmp = tmp_path_factory.mktemp("transform-models")
    notes = _notes(400)
    text = pd.DataFrame({"note": notes, "x": [i / 100 for i in range(len(notes))]})
    labels = [int("good" in n) for n in notes]
    pipeline = make_pipeline(ColumnTransformer([("words", CountVectorizer(), "note"), ("x", "passthrough", ["x"])]),
                             LogisticRegression(max_iter=1000)).fit(text, labels)
    mlflow.sklearn.save_model(pipeline, str(tmp / "text"), signature=infer_signature(text, labels),
                              serialization_format="cloudpickle", pip_requirements=["scikit-learn"])
    data = load_breast_cancer(as_frame=True)
    lr = LogisticRegression(max_iter=5000).fit(data.data, data.target)
    mlflow.sklearn.save_model(lr, str(tmp / "pickled"), signature=infer_signature(data.data, lr.predict(data.data)),
                              serialization_format="cloudpickle", pip_requirements=["scikit-learn"])
    targets = np.column_stack([data.target, data.data["mean area"]])
    multi = LinearRegression().fit(data.data, targets)
    mlflow.sklearn.save_model(multi, str(tmp / "multi"), signature=infer_signature(data.data, targets),
                              pip_requirements=["scikit-learn"])
    mlflow.pyfunc.save_model(str(tmp / "frame"), python_model=_scores_model(),
                             signature=infer_signature(data.data.head(3)), pip_requirements=["pandas"])
    return {"paths": {k: str(tmp / k) for k in ("text", "pickled", "multi", "frame")}, "text": text,
            "pipeline": pipeline, "multi": multi}


def _scores_model():
    """A pyfunc model whose predict returns a DataFrame (defined here: mlflow.pyfunc is slow to import
    at collection time)."""
    import mlflow.pyfunc

    class Scores(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return pd.DataFrame({"big": (model_input["mean radius"] > 15).astype(int),
                                 "radius_cm": model_input["mean radius"] / 10})

    return Scores()


def _notes(n: int) -> list[str]:
    """Free text with what breaks naive CSV cuts: newlines (LF and CRLF) inside quoted fields,
    commas, escaped quotes, blank lines inside a field."""
    parts = ["good", "bad", 'she said "fine"', "a, b", "first line\nsecond line", "crlf\r\nend", "\n\nlots",
             "poor"]
    return [" ".join(parts[(i * 7 + k) % len(parts)] for k in range(1 + i % 3)) for i in range(n)]


def _records(df: pd.DataFrame) -> tuple[str, list[str]]:
    """(header, each row's CSV text) as pandas writes them, for exact expected line numbers."""
    return df.head(0).to_csv(index=False), [df.iloc[[i]].to_csv(index=False, header=False) for i in range(len(df))]


def test_given_quoted_newlines_then_chunks_end_only_at_record_ends(tmp_path, models):
    df = models["text"]
    path = tmp_path / "notes.csv"
    df.to_csv(path, index=False)
    raw = path.read_bytes()
    assert raw.count(b"\n") > len(df) + 1  # there are newlines inside fields
    for chunk_bytes in (1, 7, 64, 500, 1 << 20):
        tasks = list(transform.plan_chunks(path, "csv", chunk_bytes))
        assert tasks[0][2] == len(tasks[0][4]) == raw.index(b"\n") + 1 and tasks[-1][3] == len(raw)
        assert all(a[3] == b[2] for a, b in zip(tasks, tasks[1:], strict=False))  # contiguous
        chunks = [raw[t[2]:t[3]] for t in tasks]
        assert all(c.count(b'"') % 2 == 0 for c in chunks)
        if chunk_bytes == 1:  # every cut moved to the end of its record: one record per chunk
            assert len(tasks) == len(df)
        parsed = pd.concat([pd.read_csv(io.BytesIO(tasks[0][4] + c)) for c in chunks], ignore_index=True)
        pd.testing.assert_frame_equal(parsed, pd.read_csv(path))


@pytest.mark.parametrize("chunk_bytes", [50, 333, 4096])
def test_given_a_text_model_and_quoted_newlines_then_every_row_is_scored_and_joined_as_written(tmp_path, models,
                                                                                             chunk_bytes):
    df = models["text"]
    df.to_csv(tmp_path / "notes.csv", index=False)
    expected = models["pipeline"].predict(df).tolist()
    result = transform.run(models["paths"]["text"], str(tmp_path / "notes.csv"), str(tmp_path / "out"),
                           chunk_bytes=chunk_bytes, workers=2)
    assert result["rows"] == len(df)
    assert pd.read_csv(tmp_path / "out" / "notes.out.csv")["prediction"].tolist() == expected
    transform.run(models["paths"]["text"], str(tmp_path / "notes.csv"), str(tmp_path / "joined"),
                  chunk_bytes=chunk_bytes, workers=2, join=True)
    out = pd.read_csv(tmp_path / "joined" / "notes.out.csv")
    assert list(out.columns) == ["note", "x", "prediction"]
    assert out["note"].tolist() == df["note"].tolist()  # newlines, CRLFs, quotes and commas intact
    assert out["prediction"].tolist() == expected
    # the input records are copied byte for byte, each followed by its prediction
    header, rows = _records(df)
    assert (tmp_path / "joined" / "notes.out.csv").read_bytes().decode() == header.rstrip("\n") + ",prediction\n" \
        + "".join(r.rstrip("\n") + f",{p}\n" for r, p in zip(rows, expected, strict=True))


def test_given_a_bad_row_after_multi_line_fields_then_its_physical_line_is_named(tmp_path, models):
    df = models["text"].astype(object)
    df.loc[150, "x"] = "lots"
    df.to_csv(tmp_path / "bad.csv", index=False)
    header, rows = _records(df)
    line = header.count("\n") + sum(r.count("\n") for r in rows[:150]) + 1
    assert line > 152  # the rows before it span more lines than rows
    with pytest.raises(transform.TransformError) as info:
        transform.run(models["paths"]["text"], str(tmp_path / "bad.csv"), str(tmp_path / "out"), chunk_bytes=200,
                      workers=2)
    assert str(info.value) == f"bad.csv, row 150 (line {line}): column 'x': expected a number, got 'lots'"


def test_given_blank_lines_and_an_empty_required_value_then_row_and_line_are_exact(tmp_path, frame,
                                                                                  registered_models):  # noqa: F811
    df, _expected = frame
    text = df.head(30).to_csv(index=False).splitlines(keepends=True)
    text.insert(5, "\n")  # a blank line is not a row (pandas skips it) but it is a line
    body = text[20].split(",")
    body[3] = ""
    text[20] = ",".join(body)  # data row 18 (text[0] is the header, text[5] the blank line), line 21
    (tmp_path / "gaps.csv").write_text("".join(text))
    with pytest.raises(transform.TransformError, match=r"gaps.csv, row 18 \(line 21\): column 'mean area': a value "
                                                       "is required, got an empty or NA value"):
        transform.run(registered_models.paths["lr/1"], str(tmp_path / "gaps.csv"), str(tmp_path / "out"),
                      chunk_bytes=500, workers=2)
    text[20] = ",".join([*body[:3], "1", *body[4:]]).rstrip("\n") + ",7\n"  # one field too many
    (tmp_path / "wide.csv").write_text("".join(text))
    with pytest.raises(transform.TransformError, match=r"wide.csv, row 18 \(line 21\): expected 30 fields, saw 31"):
        transform.run(registered_models.paths["lr/1"], str(tmp_path / "wide.csv"), str(tmp_path / "out"),
                      chunk_bytes=500, workers=2)


def test_given_two_outputs_per_row_then_csv_has_columns_and_jsonl_and_parquet_have_lists(tmp_path, frame, models):
    df, _expected = frame
    folder = tmp_path / "in"
    folder.mkdir()
    df.to_csv(folder / "a.csv", index=False)
    df.to_json(folder / "b.jsonl", orient="records", lines=True)
    df.to_parquet(folder / "c.parquet", index=False, row_group_size=300)
    expected = models["multi"].predict(df)
    for join in (False, True):
        out = tmp_path / f"out-{join}"
        transform.run(models["paths"]["multi"], str(folder), str(out), chunk_bytes=8192, workers=2, join=join)
        csv_out = pd.read_csv(out / "a.out.csv")
        assert list(csv_out.columns) == [*(df.columns if join else []), "prediction_0", "prediction_1"]
        np.testing.assert_allclose(csv_out[["prediction_0", "prediction_1"]].to_numpy(), expected)
        jsonl_out = pd.read_json(out / "b.out.jsonl", lines=True)
        assert list(jsonl_out.columns) == [*(df.columns if join else []), "prediction"]
        np.testing.assert_allclose(np.array(jsonl_out["prediction"].tolist()), expected)
        table = pq.read_table(out / "c.out.parquet")
        assert table.column_names == [*(df.columns if join else []), "prediction"]
        np.testing.assert_allclose(np.array(table.column("prediction").to_pylist()), expected)
        if join:
            assert jsonl_out["mean radius"].tolist() == df["mean radius"].tolist()
            assert table.column("mean radius").to_pylist() == df["mean radius"].tolist()


def test_given_a_model_returning_a_dataframe_then_its_columns_are_kept(tmp_path, frame, models):
    df, _expected = frame
    df.to_csv(tmp_path / "a.csv", index=False)
    df.to_json(tmp_path / "b.jsonl", orient="records", lines=True)
    for join in (False, True):
        out = tmp_path / f"out-{join}"
        for name in ("a.csv", "b.jsonl"):
            transform.run(models["paths"]["frame"], str(tmp_path / name), str(out), chunk_bytes=8192, workers=2,
                          join=join)
        for got in (pd.read_csv(out / "a.out.csv"), pd.read_json(out / "b.out.jsonl", lines=True)):
            assert list(got.columns) == [*(df.columns if join else []), "big", "radius_cm"]
            assert got["big"].tolist() == (df["mean radius"] > 15).astype(int).tolist()
            assert got["radius_cm"].tolist() == pytest.approx((df["mean radius"] / 10).tolist())


def test_given_a_run_then_it_reports_load_and_score_seconds(tmp_path, frame, registered_models):  # noqa: F811
    df, _expected = frame
    df.to_csv(tmp_path / "a.csv", index=False)
    result = transform.run(registered_models.paths["lr/1"], str(tmp_path / "a.csv"), str(tmp_path / "out"), workers=1)
    assert result["load_seconds"] > 0 and result["score_seconds"] > 0
    assert result["seconds"] == pytest.approx(result["load_seconds"] + result["score_seconds"])


# ----------------------------------------------------- MLFLOW_ALLOW_MODEL_CODE_EXECUTION (and the deprecated name)


@pytest.mark.parametrize("variable", ["MLFLOW_ALLOW_MODEL_CODE_EXECUTION", "MLFLOW_ALLOW_PICKLE_DESERIALIZATION"])
def test_given_model_code_execution_disallowed_then_sklearn_models_are_refused_as_mlflow_refuses_them(
        variable, tmp_path, monkeypatch, models, registered_models):  # noqa: F811
    import mlflow.sklearn
    from mlflow.exceptions import MlflowException

    from studio_ext.serving import model as model_mod

    skops_path = registered_models.paths["lr/1"]
    assert (Path(skops_path) / "model.skops").is_file()
    assert model_mod.load(models["paths"]["pickled"]).flavor == "sklearn"  # unset: allowed
    monkeypatch.setenv(variable, "true")
    assert model_mod.load(skops_path).flavor == "sklearn"
    for value in ("false", "0", "FALSE"):
        monkeypatch.setenv(variable, value)
        for path in (models["paths"]["pickled"], skops_path):
            with pytest.raises(model_mod.DeserializationDisallowed,
                               match="is disallowed.*set 'MLFLOW_ALLOW_MODEL_CODE_EXECUTION' to 'true'"):
                model_mod.load(path)
            # The same answer as MLflow's own loader, skops included (MLflow 3.18 warns that the old
            # name is deprecated; that warning is MLflow's, not the studio's).
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                with pytest.raises(MlflowException, match="MLFLOW_ALLOW_MODEL_CODE_EXECUTION|" + variable):
                    mlflow.sklearn.load_model(path)
    monkeypatch.setenv(variable, "maybe")
    with pytest.raises(ValueError, match=f"{variable} value must be one of"):
        model_mod.load(skops_path)
    monkeypatch.setenv(variable, "false")
    (tmp_path / "a.csv").write_text("x\n1\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, "-m", "studio_ext.serving.transform", "--model-uri", skops_path,
                             "--input", str(tmp_path / "a.csv"), "--output", str(tmp_path / "out"),
                             "--result-file", str(tmp_path / "result.json")],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    reason = json.loads((tmp_path / "result.json").read_text())["reason"]
    assert reason.startswith("DeserializationDisallowed: Deserializing this model (skops format) is disallowed")


def test_given_a_bad_json_lines_value_after_a_blank_line_then_row_and_line_are_exact(tmp_path, frame,
                                                                                     registered_models):  # noqa: F811
    df, _expected = frame
    bad = df.head(40).astype(object)
    bad.loc[18, "mean area"] = "lots"
    lines = bad.to_json(orient="records", lines=True).splitlines(keepends=True)
    lines.insert(5, "\n")
    (tmp_path / "bad.jsonl").write_text("".join(lines))
    with pytest.raises(transform.TransformError, match=r"bad.jsonl, row 18 \(line 20\): column 'mean area': expected "
                                                       "a number, got 'lots'"):
        transform.run(registered_models.paths["lr/1"], str(tmp_path / "bad.jsonl"), str(tmp_path / "out"),
                      chunk_bytes=3000, workers=2)
