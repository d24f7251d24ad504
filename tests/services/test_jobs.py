"""JobService on a temporary SQLite file: validation, idempotency, snapshots, stop/delete, logs."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import nbformat
import pytest

from studio_ext import schemas
from studio_ext.exceptions import Conflict, InvalidParameter, NotFound
from studio_ext.services.jobs import JobService
from studio_ext.settings import StudioSettings
from studio_ext.store.db import Database


def write_notebook(path, with_parameters=True):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("alpha = 0.1\nname = 'x'")
    if with_parameters:
        params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("print(alpha)")]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def service(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    home = tmp_path / "home"
    settings = StudioSettings.from_env(home=home, db_url=f"sqlite:///{home / 'studio.db'}",
                                       mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}", server_root=root)
    return JobService(Database(settings.db_url), settings)


def create(service, **fields):
    return service.create_job(schemas.CreateJob(**fields), "alice")


def test_given_a_notebook_when_submitted_then_it_is_queued_with_defaults_and_a_snapshot(service):
    write_notebook(service.settings.server_root / "nbs" / "train.ipynb")
    job_id = create(service, input="nbs/train.ipynb", parameters={"alpha": 0.5})
    job = service.describe_job(job_id)
    assert job.status == schemas.JobStatus.QUEUED
    assert job.kind == schemas.JobKind.NOTEBOOK
    assert job.name == "train" and job.experiment_name == "train"
    assert job.instance_type == "local.small" and job.attempt == 1
    assert job.parameters == {"alpha": 0.5}
    assert job.created_by == "alice"
    assert (service.settings.job_dir(job_id) / "input" / "train.ipynb").is_file()


def test_given_a_script_folder_when_submitted_then_the_folder_is_snapshot_without_caches(service):
    root = service.settings.server_root
    (root / "algo" / "pkg").mkdir(parents=True)
    (root / "algo" / "train.py").write_text("print('hi')\n")
    (root / "algo" / "pkg" / "util.py").write_text("X = 1\n")
    (root / "algo" / ".git").mkdir()
    (root / "algo" / ".git" / "HEAD").write_text("ref\n")
    (root / "algo" / "__pycache__").mkdir()
    job_id = create(service, input="algo/train.py")
    snap = service.settings.job_dir(job_id) / "input"
    assert (snap / "train.py").is_file() and (snap / "pkg" / "util.py").is_file()
    assert not (snap / ".git").exists() and not (snap / "__pycache__").exists()
    assert service.describe_job(job_id).kind == schemas.JobKind.SCRIPT


def test_given_studio_home_under_the_root_when_a_root_script_is_submitted_then_home_is_not_copied(tmp_path):
    root = tmp_path / "root"
    home = root / ".studio"
    settings = StudioSettings.from_env(home=home, db_url=f"sqlite:///{home / 'studio.db'}",
                                       mlflow_tracking_uri=f"sqlite:///{home / 'mlflow.db'}", server_root=root)
    svc = JobService(Database(settings.db_url), settings)
    (root / "s.py").write_text("pass\n")
    job_id = svc.create_job(schemas.CreateJob(input="s.py"), None)
    assert not (settings.job_dir(job_id) / "input" / ".studio").exists()


@pytest.mark.parametrize("fields, field_name, error", [
    ({"input": "../outside.ipynb"}, "input", InvalidParameter),
    ({"input": "/etc/passwd"}, "input", InvalidParameter),
    ({"input": "missing.ipynb"}, "input", NotFound),
    ({"input": "data.csv"}, "input", InvalidParameter),
    ({"input": "nb.ipynb", "kind": "script"}, "kind", InvalidParameter),
    ({"input": "nb.ipynb", "instance_type": "local.huge"}, "instance_type", InvalidParameter),
    ({"input": "plain.ipynb", "parameters": {"a": 1}}, "parameters", InvalidParameter),
])
def test_given_bad_input_when_submitted_then_the_error_names_the_field(service, fields, field_name, error):
    root = service.settings.server_root
    write_notebook(root / "nb.ipynb")
    write_notebook(root / "plain.ipynb", with_parameters=False)
    (root / "data.csv").write_text("a,b\n")
    (root.parent / "outside.ipynb").write_text("{}")
    with pytest.raises(error) as info:
        create(service, **fields)
    assert info.value.message.startswith(f"{field_name}:")
    assert list((service.settings.home / "jobs").glob("*")) == [] if (service.settings.home / "jobs").exists() else True


def test_given_the_same_idempotency_token_when_submitted_twice_then_one_job(service):
    write_notebook(service.settings.server_root / "nb.ipynb")
    first = create(service, input="nb.ipynb", idempotency_token="tok-1")
    second = create(service, input="nb.ipynb", idempotency_token="tok-1")
    assert first == second
    assert len(service.list_jobs(schemas.ListJobsQuery()).items) == 1


def test_given_a_schedule_tick_when_fired_twice_then_conflict_and_no_leftover_folder(service):
    write_notebook(service.settings.server_root / "nb.ipynb")
    tick = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    create_kw = {"job_definition_id": "def1", "scheduled_for": tick}
    service.create_job(schemas.CreateJob(input="nb.ipynb"), None, **create_kw)
    with pytest.raises(Conflict):
        service.create_job(schemas.CreateJob(input="nb.ipynb"), None, **create_kw)
    assert len(list((service.settings.home / "jobs").iterdir())) == 1


def test_given_jobs_when_listed_then_filters_sorting_and_pages_work(service):
    root = service.settings.server_root
    write_notebook(root / "a.ipynb")
    (root / "b.py").write_text("pass\n")
    ids = [create(service, input="a.ipynb", name=f"nb-{i}") for i in range(3)]
    create(service, input="b.py", name="script")
    page = service.list_jobs(schemas.ListJobsQuery(max_items=2, sort_by="name"))
    assert [j.name for j in page.items] == ["nb-0", "nb-1"] and page.next_token
    rest = service.list_jobs(schemas.ListJobsQuery(max_items=2, sort_by="name", next_token=page.next_token))
    assert [j.name for j in rest.items] == ["nb-2", "script"] and rest.next_token is None
    assert len(service.list_jobs(schemas.ListJobsQuery(kind="script")).items) == 1
    assert {j.job_id for j in service.list_jobs(schemas.ListJobsQuery(name="nb-")).items} == set(ids)
    with pytest.raises(InvalidParameter):
        service.list_jobs(schemas.ListJobsQuery(next_token="garbage"))


def test_given_a_queued_job_when_stopped_then_stopped_at_once_and_then_deletable(service):
    write_notebook(service.settings.server_root / "nb.ipynb")
    job_id = create(service, input="nb.ipynb")
    service.stop_job(job_id, "bob")
    job = service.describe_job(job_id)
    assert job.status == schemas.JobStatus.STOPPED and job.status_reason == "stopped by bob"
    assert job.ended_at is not None
    with pytest.raises(Conflict):
        service.stop_job(job_id, "bob")
    service.delete_job(job_id)
    assert not service.settings.job_dir(job_id).exists()
    with pytest.raises(NotFound):
        service.describe_job(job_id)


def test_given_a_running_job_when_stopped_then_stopping_and_delete_conflicts(service):
    from studio_ext.store import orm

    write_notebook(service.settings.server_root / "nb.ipynb")
    job_id = create(service, input="nb.ipynb")
    with service.db.session() as session:
        session.get(orm.Job, job_id).status = "InProgress"
    service.stop_job(job_id, "bob")
    assert service.describe_job(job_id).status == schemas.JobStatus.STOPPING
    with pytest.raises(Conflict):
        service.delete_job(job_id)


def test_given_a_log_and_outputs_when_read_then_offsets_follow_and_names_cannot_escape(service):
    write_notebook(service.settings.server_root / "nb.ipynb")
    job_id = create(service, input="nb.ipynb")
    job_dir = service.settings.job_dir(job_id)
    (job_dir / "job.log").write_bytes("héllo\nworld\n".encode())
    (job_dir / "output" / "output.html").write_text("<html/>")
    first = service.read_logs(job_id, 0, max_bytes=2)
    assert first.content == "h" and first.next_offset == 1  # never half a character
    rest = service.read_logs(job_id, first.next_offset)
    assert first.content + rest.content == "héllo\nworld\n" and not rest.complete
    kinds = {o.name: o.kind for o in service.describe_job(job_id).outputs}
    assert kinds == {"output.html": "html", "job.log": "log"}
    assert service.output_file(job_id, "output.html").read_text() == "<html/>"
    with pytest.raises(InvalidParameter):
        service.output_file(job_id, "../input/nb.ipynb")
    with pytest.raises(NotFound):
        service.output_file(job_id, "nope.txt")
    # a link the job made out of its folder is neither listed nor served; one inside is both
    (job_dir / "output" / "passwd").symlink_to("/etc/passwd")
    (job_dir / "output" / "page.html").symlink_to(job_dir / "output" / "output.html")
    assert {o.name for o in service.describe_job(job_id).outputs} == {"output.html", "page.html", "job.log"}
    with pytest.raises(InvalidParameter):
        service.output_file(job_id, "passwd")


def test_given_a_notebook_when_its_parameters_are_inspected_then_names_and_defaults(service):
    write_notebook(service.settings.server_root / "nb.ipynb")
    params = service.notebook_parameters("nb.ipynb")
    assert params["alpha"]["default"] == "0.1" and params["alpha"]["type"] == "float"
    assert params["name"]["type"] == "str"
    with pytest.raises(InvalidParameter):
        service.notebook_parameters("../x.ipynb")


def test_given_links_out_of_the_root_and_into_the_home_then_the_snapshot_never_copies_what_they_point_at(
        service, tmp_path):
    root, home = service.settings.server_root, service.settings.home
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0\n")
    (root / "algo").mkdir()
    (root / "algo" / "train.py").write_text("print('hi')\n")
    (root / "shared.py").write_text("Y = 2\n")
    (root / "algo" / "passwd").symlink_to(secret)
    (root / "algo" / "db").symlink_to(home / "studio.db")
    (root / "algo" / "outside-dir").symlink_to(secret.parent)
    (root / "algo" / "shared.py").symlink_to(root / "shared.py")

    snapshot = service.settings.job_dir(create(service, input="algo/train.py")) / "input"

    assert (snapshot / "passwd").is_symlink() and (snapshot / "outside-dir").is_symlink()  # links, not copies
    assert os.readlink(snapshot / "passwd") == str(secret)
    assert not (snapshot / "db").exists() and not (snapshot / "db").is_symlink()  # into the home: left out
    assert not (snapshot / "shared.py").is_symlink() and (snapshot / "shared.py").read_text() == "Y = 2\n"
    stored = [p for p in (home / "snapshots").rglob("*") if p.is_file()]
    assert all("root:x" not in p.read_text() for p in stored)


def test_given_a_studioignore_and_many_jobs_then_ignored_files_stay_out_and_content_is_stored_once(service):
    root, home = service.settings.server_root, service.settings.home
    (root / "algo" / "data").mkdir(parents=True)
    (root / "algo" / "train.py").write_text("print('hi')\n")
    (root / "algo" / "data" / "big.bin").write_bytes(os.urandom(1 << 20))
    (root / "algo" / "data" / "raw.csv").write_text("a,b\n")
    (root / "algo" / ".studioignore").write_text("# not needed by the job\n*.csv\n")

    jobs = [create(service, input="algo/train.py") for _ in range(5)]

    snapshots = [service.settings.job_dir(j) / "input" for j in jobs]
    assert all((s / "data" / "big.bin").is_file() and not (s / "data" / "raw.csv").exists() for s in snapshots)
    stored = sum(p.stat().st_size for p in (home / "snapshots").rglob("*") if p.is_file())
    assert (1 << 20) <= stored < 2 * (1 << 20)  # five jobs, one copy of the megabyte
    assert (snapshots[0] / "data" / "big.bin").stat().st_nlink == 6
    # a changed file is a new content: the job submitted after the edit sees the edit
    (root / "algo" / "train.py").write_text("print('edited')\n")
    later = service.settings.job_dir(create(service, input="algo/train.py")) / "input"
    assert (later / "train.py").read_text() == "print('edited')\n"
    assert (snapshots[0] / "train.py").read_text() == "print('hi')\n"


def test_given_a_folder_over_the_limit_then_a_400_says_how_to_shrink_it(service, monkeypatch):
    from studio_ext.services import snapshots

    monkeypatch.setattr(snapshots, "MAX_SNAPSHOT_BYTES", 1000)
    root = service.settings.server_root
    (root / "algo").mkdir()
    (root / "algo" / "train.py").write_text("print('hi')\n")
    (root / "algo" / "data.bin").write_bytes(b"x" * 2000)
    with pytest.raises(InvalidParameter, match=r"input: .*\.studioignore"):
        create(service, input="algo/train.py")
    (root / "algo" / ".studioignore").write_text("data.bin\n")
    assert create(service, input="algo/train.py")


def test_given_a_home_when_used_then_nothing_in_it_is_open_to_other_users(tmp_path):
    home = tmp_path / "home"
    (home / "jobs" / "old").mkdir(parents=True)  # a home from before: world-readable
    (home / "jobs" / "old" / "job.log").write_text("old\n")
    os.chmod(home, 0o755)
    os.chmod(home / "jobs" / "old" / "job.log", 0o644)
    root = tmp_path / "root"
    root.mkdir()
    write_notebook(root / "train.ipynb")
    (root / "train.py").write_text("print(1)\n")
    settings = StudioSettings.from_env(home=home, server_root=root)
    service = JobService(Database(settings.db_url), settings)
    create(service, input="train.ipynb", environment={"API_KEY": "s3cret"})
    create(service, input="train.py")

    opened = [f"{p} {oct(p.stat().st_mode & 0o777)}" for p in [home, *home.rglob("*")]
              if not p.is_symlink() and p.stat().st_mode & 0o077]
    assert opened == []
    assert home.stat().st_mode & 0o777 == 0o700


def test_given_jobs_with_large_parameters_when_listed_then_pages_stay_within_the_byte_budget(service):
    from studio_ext.services.pagination import LIST_BODY_BUDGET

    write_notebook(service.settings.server_root / "nb.ipynb")
    big = {f"p{i}": "x" * 5900 for i in range(99)}  # ~600 kB of parameters: the largest a job may have
    jobs = {create(service, input="nb.ipynb", parameters={**big, "alpha": i}) for i in range(12)}

    seen, token, pages = [], None, 0
    while True:
        page = service.list_jobs(schemas.ListJobsQuery(max_items=1000, next_token=token))
        assert len(page.model_dump_json()) <= LIST_BODY_BUDGET + 700_000
        seen += [j.job_id for j in page.items]
        pages += 1
        token = page.next_token
        if not token:
            break
    assert sorted(seen) == sorted(jobs) and pages >= 2


def test_given_a_float_parameter_when_a_whole_number_is_sent_then_it_stays_a_float(service):
    # The Run-as-job form (JavaScript) and `-p alpha 1` send 1.0 as 1: the notebook declares a float.
    write_notebook(service.settings.server_root / "nb.ipynb")  # alpha = 0.1, name = 'x'
    job = service.describe_job(create(service, input="nb.ipynb", parameters={"alpha": 1, "name": "y"}))
    assert job.parameters == {"alpha": 1.0, "name": "y"} and type(job.parameters["alpha"]) is float
    assert json.dumps(job.parameters) == '{"alpha": 1.0, "name": "y"}'
