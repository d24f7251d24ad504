"""/studio/api/jobs through a real Jupyter server and the real JobService (no agent: jobs stay Queued)."""

from __future__ import annotations

import json

import nbformat
import pytest

from studio_ext import schemas


async def submit(studio_api, **fields):
    status, data = await studio_api("POST", "jobs", body=fields)
    assert status == 201, data
    return data["job_id"]


# ----------------------------------------------------------------------------- create


async def test_given_a_notebook_when_submitted_with_defaults_then_201_and_a_queued_job(studio_api, write_notebook):
    write_notebook("analysis/nb.ipynb")

    status, data = await studio_api("POST", "jobs", body={"input": "analysis/nb.ipynb", "parameters": {"alpha": 0.5}})

    assert status == 201
    job_id = data["job_id"]
    status, job = await studio_api("GET", "jobs", job_id)
    assert status == 200
    assert job["job_id"] == job_id
    assert job["status"] == "Queued"
    assert job["name"] == "nb" and job["kind"] == "notebook"
    assert job["instance_type"] == "local.small"
    assert job["parameters"] == {"alpha": 0.5}
    assert job["timeout_seconds"] == 86400 and job["max_retries"] == 0 and job["attempt"] == 1
    assert job["experiment_name"] == "nb"
    for key in ("status_reason", "progress", "mlflow_run_id", "outputs", "created_at", "started_at", "ended_at"):
        assert key in job


async def test_given_a_script_with_every_field_when_submitted_then_the_job_echoes_them(studio_api, jp_root_dir):
    (jp_root_dir / "train.py").write_text("print('hi')\n")
    fields = {"name": "train-1", "kind": "script", "input": "train.py", "parameters": {"lr": 0.1},
              "instance_type": "local.medium", "timeout_seconds": 120, "max_retries": 2,
              "environment": {"SEED": "1"}, "tags": {"team": "ml"}, "experiment_name": "exp"}

    job_id = await submit(studio_api, **fields)

    _, job = await studio_api("GET", "jobs", job_id)
    assert job["kind"] == "script" and job["name"] == "train-1" and job["instance_type"] == "local.medium"
    assert (job["timeout_seconds"], job["max_retries"]) == (120, 2)
    assert job["environment"] == {"SEED": "1"} and job["tags"] == {"team": "ml"}
    assert job["experiment_name"] == "exp"


async def test_given_an_idempotency_token_when_submitted_twice_then_one_job(studio_api, write_notebook):
    write_notebook("nb.ipynb")
    first = await submit(studio_api, input="nb.ipynb", idempotency_token="tok-1")
    second = await submit(studio_api, input="nb.ipynb", idempotency_token="tok-1")

    assert first == second
    _, listing = await studio_api("GET", "jobs")
    assert [j["job_id"] for j in listing["items"]] == [first]


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"input": "../outside.ipynb"}, 400, "input"),
    ({"input": "/etc/passwd"}, 400, "input"),
    ({"input": "missing.ipynb"}, 404, "input"),
    ({"input": "nb.ipynb", "instance_type": "local.huge"}, 400, "instance_type"),
    ({"input": "nb.ipynb", "timeout_seconds": "soon"}, 400, "timeout_seconds"),
    ({"input": "nb.ipynb", "timeout_seconds": 0}, 400, "timeout_seconds"),
    ({"input": "nb.ipynb", "max_retries": 99}, 400, "max_retries"),
    ({"input": "nb.ipynb", "parameters": [1, 2]}, 400, "parameters"),
    ({"input": "nb.ipynb", "environment": {"A": 1}}, 400, "environment.A"),
    ({"input": "nb.ipynb", "kind": "script"}, 400, "kind"),
    ({"input": "nb.ipynb", "kind": "spark"}, 400, "kind"),
    ({"input": "nb.ipynb", "colour": "red"}, 400, "colour"),
    ({"input": "readme.txt"}, 400, "input"),
    ({}, 400, "input"),
    ({"input": ""}, 400, "input"),
    # JSON is taken as JSON: a string or a boolean is not an integer
    ({"input": "nb.ipynb", "timeout_seconds": "10"}, 400, "timeout_seconds"),
    ({"input": "nb.ipynb", "max_retries": True}, 400, "max_retries"),
    # the documented limits (schemas/limits.py)
    ({"input": "nb.ipynb", "parameters": {f"p{i}": i for i in range(101)}}, 400, "parameters"),
    ({"input": "nb.ipynb", "parameters": {"alpha": "x" * 6001}}, 400, "parameters"),
    ({"input": "nb.ipynb", "parameters": {"k" * 251: 1}}, 400, "parameters"),
    ({"input": "nb.ipynb", "parameters": {"alpha": float("nan")}}, 400, "parameters"),
    ({"input": "nb.ipynb", "environment": {f"V{i}": "1" for i in range(101)}}, 400, "environment"),
    ({"input": "nb.ipynb", "environment": {"1BAD": "1"}}, 400, "environment"),
    ({"input": "nb.ipynb", "environment": {"A": "x" * 8193}}, 400, "environment"),
    ({"input": "nb.ipynb", "tags": {f"t{i}": "v" for i in range(51)}}, 400, "tags"),
    ({"input": "nb.ipynb", "tags": {"team": "v" * 257}}, 400, "tags"),
    ({"input": "x" * 1025}, 400, "input"),
    # within the limit, yet a name the file system refuses (over 255 bytes): a 400, never a 500
    ({"input": "0" * 1024}, 400, "input"),
    ({"input": "a/" * 300 + "b.ipynb"}, 404, "input"),
])
async def test_given_bad_input_when_submitted_then_4xx_names_the_field(studio_api, write_notebook, jp_root_dir,
                                                                       body, status, field):
    write_notebook("nb.ipynb")
    (jp_root_dir / "readme.txt").write_text("not a job")
    (jp_root_dir.parent / "outside.ipynb").write_text("{}")

    code, error = await studio_api("POST", "jobs", body=body)

    assert code == status, error
    assert set(error) == {"error_code", "message"}
    assert error["error_code"] == ("ResourceNotFound" if status == 404 else "InvalidParameterValue")
    assert error["message"].startswith(f"{field}:") or f"; {field}:" in error["message"], error["message"]


async def test_given_parameters_for_a_notebook_without_a_parameters_cell_then_400_says_so(studio_api,
                                                                                        write_notebook):
    write_notebook("plain.ipynb", params=None, cells=["print(1)"])

    code, error = await studio_api("POST", "jobs", body={"input": "plain.ipynb", "parameters": {"alpha": 1}})

    assert code == 400
    assert error["message"].startswith("parameters:") and "parameters" in error["message"]


@pytest.mark.parametrize(("raw", "fragment"), [
    ("{not json", "request body: not valid JSON"),
    ("[1, 2]", "request body: must be a JSON object"),
    ('"nb.ipynb"', "request body: must be a JSON object"),
    (b"\xff\xfe", "request body: not valid JSON"),
    ("[" * 1000 + "]" * 1000, "request body: not valid JSON"),  # bounded nesting, no RecursionError
    ('{"input": "nb.ipynb", "parameters": ' + "[" * 1000 + "]" * 1000 + "}", "request body: not valid JSON"),
    ("", "request body: required"),
])
async def test_given_a_body_that_is_not_a_json_object_then_400(studio_api, raw, fragment):
    code, error = await studio_api("POST", "jobs", raw_body=raw)

    assert code == 400
    assert error["error_code"] == "InvalidParameterValue"
    assert error["message"].startswith(fragment)


async def test_given_a_body_over_the_limit_then_413_names_the_limit_and_nothing_is_created(studio_api, write_notebook):
    write_notebook("nb.ipynb")
    body = json.dumps({"input": "nb.ipynb", "parameters": {"alpha": "x" * (2 << 20)}})

    code, error = await studio_api("POST", "jobs", raw_body=body)

    assert code == 413 and error["error_code"] == "PayloadTooLarge"
    assert "1048576 bytes" in error["message"]
    assert (await studio_api("GET", "jobs"))[1]["items"] == []


# ----------------------------------------------------------------------------- list


async def test_given_three_jobs_when_listed_in_pages_then_all_are_seen_once(studio_api, write_notebook, jp_root_dir):
    write_notebook("nb.ipynb")
    (jp_root_dir / "s.py").write_text("pass\n")
    ids = {await submit(studio_api, input="nb.ipynb", name=f"nb-{i}") for i in range(2)}
    ids.add(await submit(studio_api, input="s.py"))

    seen, token = [], None
    while True:
        params = {"max_items": "2", **({"next_token": token} if token else {})}
        code, page = await studio_api("GET", "jobs", params=params)
        assert code == 200
        assert len(page["items"]) <= 2
        seen += [j["job_id"] for j in page["items"]]
        token = page["next_token"]
        if not token:
            break
    assert sorted(seen) == sorted(ids)

    _, scripts = await studio_api("GET", "jobs", params={"kind": "script"})
    assert [j["kind"] for j in scripts["items"]] == ["script"]
    _, named = await studio_api("GET", "jobs", params={"name": "nb-1"})
    assert [j["name"] for j in named["items"]] == ["nb-1"]
    _, queued = await studio_api("GET", "jobs", params={"status": "Queued", "sort_by": "name"})
    assert [j["name"] for j in queued["items"]] == ["nb-0", "nb-1", "s"]


@pytest.mark.parametrize(("params", "field"), [
    ({"next_token": "bogus"}, "next_token"),
    ({"max_items": "0"}, "max_items"),
    ({"max_items": "many"}, "max_items"),
    ({"status": "Running"}, "status"),
    ({"sort_by": "colour"}, "sort_by"),
    ({"colour": "red"}, "colour"),
])
async def test_given_bad_list_parameters_then_400_names_the_parameter(studio_api, params, field):
    code, error = await studio_api("GET", "jobs", params=params)

    assert code == 400
    assert error["message"].startswith(f"{field}:"), error["message"]


# ----------------------------------------------------------------------------- describe / stop / delete


@pytest.mark.parametrize(("method", "suffix"), [
    ("GET", ()), ("DELETE", ()), ("POST", ("stop",)), ("GET", ("logs",)), ("GET", ("outputs", "output.ipynb")),
])
async def test_given_an_unknown_job_id_then_404(studio_api, method, suffix):
    code, error = await studio_api(method, "jobs", "no-such-job", *suffix)

    assert code == 404
    assert error["error_code"] == "ResourceNotFound"
    assert "no-such-job" in error["message"]


async def test_given_a_queued_job_when_stopped_then_204_and_stopped_and_a_second_stop_is_409(studio_api,
                                                                                           write_notebook):
    write_notebook("nb.ipynb")
    job_id = await submit(studio_api, input="nb.ipynb")

    code, body = await studio_api("POST", "jobs", job_id, "stop")
    assert (code, body) == (204, None)
    _, job = await studio_api("GET", "jobs", job_id)
    assert job["status"] == "Stopped"

    code, error = await studio_api("POST", "jobs", job_id, "stop")
    assert code == 409
    assert error["error_code"] == "ConflictException"


async def test_given_a_stop_with_unknown_body_fields_then_400(studio_api, write_notebook):
    write_notebook("nb.ipynb")
    job_id = await submit(studio_api, input="nb.ipynb")

    code, error = await studio_api("POST", "jobs", job_id, "stop", body={"force": True})

    assert code == 400
    assert error["message"].startswith("force: unknown field")


async def test_given_a_stopped_job_when_deleted_then_204_and_gone_with_its_files(studio_api, write_notebook,
                                                                                studio_home):
    write_notebook("nb.ipynb")
    job_id = await submit(studio_api, input="nb.ipynb")
    assert (studio_home / "jobs" / job_id).is_dir()
    await studio_api("POST", "jobs", job_id, "stop")

    code, body = await studio_api("DELETE", "jobs", job_id)

    assert (code, body) == (204, None)
    code, _ = await studio_api("GET", "jobs", job_id)
    assert code == 404
    assert not (studio_home / "jobs" / job_id).exists()


async def test_given_an_unknown_query_parameter_on_describe_then_400(studio_api, write_notebook):
    write_notebook("nb.ipynb")
    job_id = await submit(studio_api, input="nb.ipynb")

    code, error = await studio_api("GET", "jobs", job_id, params={"verbose": "true"})

    assert code == 400
    assert error["message"].startswith("verbose: unknown query parameter")


# ----------------------------------------------------------------------------- logs and outputs


async def test_given_a_job_log_when_read_from_offsets_then_the_slices_join_up(studio_api, write_notebook,
                                                                             studio_home):
    write_notebook("nb.ipynb")
    job_id = await submit(studio_api, input="nb.ipynb")
    code, first = await studio_api("GET", "jobs", job_id, "logs")
    assert code == 200
    assert first["offset"] == 0 and first["complete"] is False

    # The runner appends to $STUDIO_HOME/jobs/<id>/job.log; written here to read it without a kernel.
    (studio_home / "jobs" / job_id / "job.log").write_text("line one\nline two\n")

    code, whole = await studio_api("GET", "jobs", job_id, "logs", params={"offset": "0"})
    code2, tail = await studio_api("GET", "jobs", job_id, "logs", params={"offset": "5", "max_bytes": "4"})

    assert whole["content"] == "line one\nline two\n" and whole["next_offset"] == len("line one\nline two\n")
    assert (code2, tail["content"], tail["next_offset"]) == (200, "one\n", 9)
    assert whole["complete"] is False  # the job is not terminal: more may come


@pytest.mark.parametrize(("params", "field"), [
    ({"offset": "-1"}, "offset"), ({"offset": "end"}, "offset"), ({"max_bytes": "0"}, "max_bytes"),
    ({"since": "1"}, "since"),
])
async def test_given_bad_log_parameters_then_400(studio_api, write_notebook, params, field):
    write_notebook("nb.ipynb")
    job_id = await submit(studio_api, input="nb.ipynb")

    code, error = await studio_api("GET", "jobs", job_id, "logs", params=params)

    assert code == 400
    assert error["message"].startswith(f"{field}:")


@pytest.fixture
def job_with_outputs(studio_app, write_notebook, studio_home):
    """A queued job whose output folder holds files like a finished job's (written by hand here; the
    e2e tests get them from a real run)."""
    write_notebook("nb.ipynb")
    job_id = studio_app.settings["studio_ext_job_service"].create_job(schemas.CreateJob(input="nb.ipynb"), "t")
    out = studio_home / "jobs" / job_id / "output"
    out.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nbformat.write(nb, out / "output.ipynb")
    (out / "output.html").write_text("<html><script>alert(1)</script><body>report</body></html>")
    (out / "model.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MiB, several chunks
    (out / "sub").mkdir()
    (out / "sub" / "metrics.csv").write_text("a,b\n1,2\n")
    return job_id


async def test_given_outputs_when_fetched_then_streamed_with_fitting_content_types(jp_fetch, job_with_outputs):
    job_id = job_with_outputs

    r = await jp_fetch("studio", "api", "jobs", job_id, "outputs", "output.ipynb")
    assert r.code == 200 and r.headers["Content-Type"] == "application/x-ipynb+json"
    assert json.loads(r.body)["nbformat"] == 4

    r = await jp_fetch("studio", "api", "jobs", job_id, "outputs", "output.html")
    assert r.headers["Content-Type"].startswith("text/html")
    assert "sandbox" in r.headers["Content-Security-Policy"]  # its scripts never run as the Jupyter origin
    assert r.headers["Content-Disposition"].startswith("inline")
    assert b"report" in r.body

    r = await jp_fetch("studio", "api", "jobs", job_id, "outputs", "model.bin", params={"download": "1"})
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.headers["Content-Disposition"] == "attachment; filename*=UTF-8''model.bin"
    assert r.body == bytes(range(256)) * 4096

    r = await jp_fetch("studio", "api", "jobs", job_id, "outputs", "sub/metrics.csv")
    assert r.headers["Content-Type"].startswith("text/csv") and r.body == b"a,b\n1,2\n"


@pytest.mark.parametrize(("name", "params", "status", "field"), [
    ("missing.txt", None, 404, "name"),
    ("../input/nb.ipynb", None, 400, "name"),
    ("output.html", {"download": "maybe"}, 400, "download"),
    ("output.html", {"inline": "1"}, 400, "inline"),
])
async def test_given_bad_output_requests_then_4xx(studio_api, job_with_outputs, name, params, status, field):
    code, error = await studio_api("GET", "jobs", job_with_outputs, "outputs", name, params=params)

    assert code == status, error
    assert error["message"].startswith(f"{field}:"), error["message"]


# ----------------------------------------------------------------------------- notebook parameters


async def test_given_a_notebook_with_a_parameters_cell_then_its_parameters_prefill_the_form(studio_api,
                                                                                           write_notebook):
    write_notebook("exp/nb.ipynb", params="alpha = 0.1\nepochs = 2\nname = 'run'")

    code, data = await studio_api("GET", "notebook-parameters", params={"path": "exp/nb.ipynb"})

    assert code == 200
    assert data["path"] == "exp/nb.ipynb"
    params = data["parameters"]
    assert set(params) == {"alpha", "epochs", "name"}
    assert params["alpha"]["type"] == "float" and params["epochs"]["type"] == "int"
    assert params["alpha"]["default"] in ("0.1", 0.1)


async def test_given_a_notebook_without_a_parameters_cell_then_no_parameters(studio_api, write_notebook):
    write_notebook("plain.ipynb", params=None)

    code, data = await studio_api("GET", "notebook-parameters", params={"path": "plain.ipynb"})

    assert (code, data["parameters"]) == (200, {})


@pytest.mark.parametrize(("params", "status", "field"), [
    ({}, 400, "path"),
    ({"path": "../x.ipynb"}, 400, "path"),
    ({"path": "missing.ipynb"}, 404, "path"),
    ({"path": "s.py"}, 400, "path"),
    ({"path": "nb.ipynb", "extra": "1"}, 400, "extra"),
])
async def test_given_bad_notebook_parameter_requests_then_4xx(studio_api, write_notebook, jp_root_dir,
                                                             params, status, field):
    write_notebook("nb.ipynb")
    (jp_root_dir / "s.py").write_text("pass\n")

    code, error = await studio_api("GET", "notebook-parameters", params=params)

    assert code == status, error
    assert error["message"].startswith(f"{field}:"), error["message"]


async def test_given_jupyterlabs_timestamp_cache_buster_when_listing_then_it_is_ignored(studio_api, write_notebook):
    # JupyterLab's ServerConnection appends `?<timestamp>` (a bare numeric key) to GET requests.
    write_notebook("nb.ipynb")
    job_id = await submit(studio_api, input="nb.ipynb")

    code, body = await studio_api("GET", "jobs", params={"1764460000000": ""})

    assert code == 200
    assert [item["job_id"] for item in body["items"]] == [job_id]
