"""POST /studio/api/algorithms/{name}/channel-preview through a real Jupyter server: a channel's first
rows and the label column, as the training process reads them (the Train panel's preview)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from studio_ext.algorithms.train import load_channels


async def preview(studio_api, algorithm: str, **body):
    return await studio_api("POST", "algorithms", algorithm, "channel-preview", body=body)


def churn_csv(root, name: str = "churn/train.csv", rows: int = 8):
    frame = pd.DataFrame({"tenure": range(rows), "plan": ["basic", "pro"] * (rows // 2),
                          "charges": [20.5, np.nan] + [30.0] * (rows - 2), "churn": [0, 1] * (rows // 2)})
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


async def test_given_a_csv_with_a_label_column_when_previewed_then_first_rows_and_the_label(studio_api, jp_root_dir):
    churn_csv(jp_root_dir)

    status, body = await preview(studio_api, "xgboost", path="churn/train.csv", label="churn")

    assert status == 200, body
    assert body["content_type"] == "text/csv" and body["label"] == "churn"
    assert body["columns"] == ["tenure", "plan", "charges", "churn"]
    assert body["rows"][:2] == [[0, "basic", 20.5, 0], [1, "pro", None, 1]]  # NaN -> null
    assert body["rows_read"] == 5 and len(body["rows"]) == 5
    assert body["rows_total"] is None and body["files"] == 1  # a CSV's length would need every line


async def test_given_a_label_the_file_lacks_when_previewed_then_400_names_the_label(studio_api, jp_root_dir):
    churn_csv(jp_root_dir)

    status, body = await preview(studio_api, "xgboost", path="churn/train.csv", label="cancelled")

    assert status == 400
    assert body["message"].startswith("label: train.csv has no column 'cancelled'; its columns: tenure, plan")


@pytest.mark.parametrize(("algorithm", "channel", "expected"), [
    ("xgboost", "train", "0"),  # headerless: the first column, as SageMaker's built-ins take it
    ("kmeans", "train", None),  # unsupervised: no label unless the data names one
    ("xgboost", "validation", None),  # only train must hold the label
])
async def test_given_a_headerless_csv_when_previewed_then_the_label_follows_the_training_rule(
        studio_api, jp_root_dir, algorithm, channel, expected):
    pd.DataFrame([[1, 0.5, 2.0], [0, 1.5, 3.0]]).to_csv(jp_root_dir / "plain.csv", index=False, header=False)

    status, body = await preview(studio_api, algorithm, path="plain.csv", channel=channel)

    assert status == 200, body
    assert body["columns"] == ["0", "1", "2"] and body["label"] == expected
    # The training process takes the same column.
    given = {"path": "plain.csv", "abspath": str(jp_root_dir / "plain.csv")}
    data = load_channels({"train": given, channel: given}, needs_label=algorithm != "kmeans")
    assert (None if data[channel].y is None else str(data[channel].y.name)) == expected


async def test_given_ratings_when_previewed_for_factorization_machines_then_rating_is_the_label(
        studio_api, jp_root_dir):
    pd.DataFrame({"user_id": [1, 2], "item_id": [10, 20], "rating": [4.0, 5.0]}).to_csv(
        jp_root_dir / "ratings.csv", index=False)

    status, body = await preview(studio_api, "factorization-machines", path="ratings.csv")

    assert status == 200, body
    assert body["label"] == "rating"  # the algorithm's default label, not the first column


async def test_given_a_big_csv_broken_far_down_when_previewed_then_only_its_first_rows_are_read(
        studio_api, jp_root_dir):
    # Row 5000 has too many fields: reading the whole file fails, so a preview that answers read
    # only the first lines.
    lines = ["a,b,label"] + [f"{i},{i * 2},{i % 2}" for i in range(5000)] + ["1,2,3,4,5"]
    (jp_root_dir / "big.csv").write_text("\n".join(lines) + "\n")

    status, body = await preview(studio_api, "xgboost", path="big.csv", rows=3)

    assert status == 200, body
    assert body["rows"] == [[0, 0, 0], [1, 2, 1], [2, 4, 0]] and body["label"] == "label"


async def test_given_digit_arrays_when_previewed_then_image_shape_classes_and_the_first_pixels(
        studio_api, jp_root_dir):
    x = np.arange(12 * 8 * 8, dtype=np.float32).reshape(12, 8, 8)
    np.savez(jp_root_dir / "digits.npz", x=x, y=np.array([0, 1, 2] * 4))

    status, body = await preview(studio_api, "image-classifier", path="digits.npz")

    assert status == 200, body
    assert body["content_type"] == "application/x-npz"
    assert body["image_shape"] == [1, 8, 8] and body["rows_total"] == 12
    assert body["classes"] == {"0": 4, "1": 4, "2": 4}
    assert body["label"] == "label" and body["columns_total"] == 65
    assert body["columns"][:3] == ["label", "pixel_0", "pixel_1"] and len(body["columns"]) == 30
    assert body["rows"][1][:3] == [1, 64.0, 65.0]


async def test_given_an_image_folder_when_previewed_then_classes_are_counted_from_the_subfolders(
        studio_api, jp_root_dir):
    for name, count in (("cat", 3), ("dog", 2)):
        (jp_root_dir / "pets" / name).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(np.full((6, 4), 40 * i, dtype=np.uint8)).save(jp_root_dir / "pets" / name / f"{i}.png")

    status, body = await preview(studio_api, "image-classifier", path="pets", rows=2)

    assert status == 200, body
    assert body["content_type"] == "application/x-image" and body["files"] == 5
    assert body["classes"] == {"cat": 3, "dog": 2} and body["image_shape"] == [1, 6, 4]
    assert [row[0] for row in body["rows"]] == ["cat", "cat"]


async def test_given_parquet_when_previewed_then_its_row_count_comes_from_the_footer(studio_api, jp_root_dir):
    pd.DataFrame({"x": range(1000), "label": [0, 1] * 500}).to_parquet(jp_root_dir / "t.parquet")

    status, body = await preview(studio_api, "linear-learner", path="t.parquet")

    assert status == 200, body
    assert body["rows_total"] == 1000 and body["rows_read"] == 5 and body["label"] == "label"


@pytest.mark.parametrize(("algorithm", "body", "code", "message"), [
    ("xgboost", {"path": "nowhere.csv"}, 404, "path: no file or folder 'nowhere.csv' under the server root"),
    ("xgboost", {"path": "../outside.csv"}, 400, "path: '../outside.csv' is outside the server root"),
    ("xgboost", {"path": "a\u0000b.csv"}, 400, "path: invalid path"),
    ("no-such-algorithm", {"path": "churn/train.csv"}, 404, "name: no built-in algorithm 'no-such-algorithm'"),
    ("xgboost", {"path": "churn/train.csv", "channel": "holdout"}, 400,
     "channel: xgboost takes the channels train, validation, test"),
    ("xgboost", {"path": "churn/train.csv", "content_type": "application/x-npz"}, 400,
     "content_type: xgboost reads text/csv, application/x-parquet, application/jsonlines, not application/x-npz"),
    ("xgboost", {"path": "notes.txt"}, 400, "path: notes.txt: cannot tell the content type"),
    ("xgboost", {"path": "empty.csv"}, 400, "path: empty.csv: not readable as text/csv: EmptyDataError"),
    ("xgboost", {"path": "churn/train.csv", "rows": 0}, 400, "rows: Input should be greater than or equal to 1"),
    ("xgboost", {}, 400, "path: field required"),
])
async def test_given_bad_input_when_previewed_then_4xx_names_the_field(studio_api, jp_root_dir, algorithm, body,
                                                                      code, message):
    churn_csv(jp_root_dir)
    (jp_root_dir / "notes.txt").write_text("hello\n")
    (jp_root_dir / "empty.csv").write_text("")

    status, answer = await preview(studio_api, algorithm, **body)

    assert status == code, answer
    assert answer["message"].startswith(message), answer["message"]
    assert str(jp_root_dir) not in answer["message"]  # the server's own folders stay its own
