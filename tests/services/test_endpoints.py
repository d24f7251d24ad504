"""EndpointService + the agent's EndpointReconciler: real replica processes, real HTTP, real MLflow store."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import psutil
import pytest
import requests
from serving_models import _mlflow_env, registered_models  # noqa: F401

from studio_ext import schemas, tracking
from studio_ext.credentials import bearer, replica_token
from studio_ext.exceptions import Conflict, InvalidParameter, NotFound
from studio_ext.runner import resources
from studio_ext.runner.reconcilers.endpoints import EndpointReconciler
from studio_ext.security.keys import KeyRing
from studio_ext.services.endpoints import EndpointService
from studio_ext.serving.capture import read_record
from studio_ext.settings import StudioSettings
from studio_ext.store.db import Database


@pytest.fixture
def env(tmp_path: Path, registered_models):  # noqa: F811
    home, root = tmp_path / "home", tmp_path / "root"
    root.mkdir()
    settings = StudioSettings.from_env(home=home, db_url=f"sqlite:///{tmp_path / 'studio.db'}",
                                       mlflow_tracking_uri=registered_models.tracking_uri, server_root=root)
    db = Database(settings.db_url)
    service = EndpointService(db, settings, lambda: tracking.client(settings.mlflow_tracking_uri))
    reconciler = EndpointReconciler(db, settings, "agent-a", lambda agent_id: agent_id == "agent-a")
    yield service, reconciler, settings, db
    for name in [e.name for e in service.list_endpoints().items]:
        service.delete_endpoint(name)
    for _ in range(3):
        reconciler.reconcile()


def drive(reconciler, service, name, until, timeout=120.0):
    """Run reconcile passes (what the agent does every second) until `until(describe)` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reconciler.reconcile()
        described = service.describe_endpoint(name)
        if until(described):
            return described
        time.sleep(0.2)
    raise AssertionError(f"endpoint {name} never got there: {service.describe_endpoint(name)}")


def create(service, name, model="models:/lr/1", count=1, capture=None):
    return service.create_endpoint(schemas.CreateEndpoint(
        name=name, variants=[schemas.EndpointVariant(name="v1", model=model, instance_type="local.small",
                                                     instance_count=count)],
        data_capture=capture), "alice")


def invoke(settings, port: int, rows):
    """What the studio's router does: POST to the replica with the replica token."""
    return requests.post(f"http://127.0.0.1:{port}/invocations", json={"instances": rows}, timeout=30,
                         headers=bearer(replica_token(settings.home)))


def in_service(d):
    return d.status == schemas.EndpointStatus.IN_SERVICE


def test_given_an_endpoint_when_reconciled_then_in_service_and_a_killed_replica_is_restarted(env, registered_models):  # noqa: F811
    service, reconciler, settings, _db = env
    created = create(service, "churn", count=2, capture=schemas.DataCaptureConfig(sampling_percent=100))
    assert created.status == schemas.EndpointStatus.CREATING
    d = drive(reconciler, service, "churn", in_service)
    assert [r.status for r in d.replicas] == ["Healthy", "Healthy"]
    assert sum(r.weight for r in d.replicas) == pytest.approx(1.0)
    assert {r.model_version for r in d.replicas} == {"1"}
    port = d.replicas[0].port
    assert invoke(settings, port, registered_models.rows).json() == {"predictions": registered_models.expected}
    # a stranger on the replica's own port (past Jupyter's login and the audit log) is refused
    for method, path in (("POST", "/invocations"), ("GET", "/metrics"), ("GET", "/ping")):
        stranger = requests.request(method, f"http://127.0.0.1:{port}{path}", json={"instances": registered_models.rows},
                                    timeout=30, headers={"Authorization": "Bearer guessed"})
        assert stranger.status_code == 401, (path, stranger.text)
    assert (settings.home / "secrets" / "replica-token").stat().st_mode & 0o777 == 0o600
    # data capture lands under $STUDIO_HOME/endpoints/<name>/capture, sealed with the studio's key ring
    records = [json.loads(line) for f in (settings.home / "endpoints" / "churn" / "capture").glob("*.jsonl")
               for line in f.read_text().splitlines()]
    assert records and records[0]["sealed"] and "predictions" not in records[0]["output"]
    _given, answered, error = read_record(records[0], KeyRing.for_home(settings.home))
    assert error is None and "predictions" in answered
    # a replica killed -> restarted on a new process, endpoint stays InService
    victim = d.replicas[0]
    os.killpg(victim.pid, signal.SIGKILL)
    d = drive(reconciler, service, "churn",
              lambda d: any(r.restarts == 1 and r.status == "Healthy" for r in d.replicas))
    again = next(r for r in d.replicas if r.replica_id == victim.replica_id)
    assert again.pid != victim.pid and again.restarts == 1
    assert invoke(settings, again.port, registered_models.rows[:1]).status_code == 200
    assert d.status == schemas.EndpointStatus.IN_SERVICE


def test_given_a_model_that_cannot_load_then_the_endpoint_is_failed_with_the_reason(env):
    service, reconciler, settings, _db = env
    create(service, "bad", model="models:/broken/1")
    d = drive(reconciler, service, "bad", lambda d: d.status == schemas.EndpointStatus.FAILED)
    assert "variant v1: replica could not start" in d.status_reason
    assert "cannot load model" in d.status_reason
    assert d.replicas == [] or all(not resources.is_alive(r.pid, None) for r in d.replicas)


def test_given_updates_then_all_at_once_moves_and_a_broken_version_rolls_back(env, registered_models):  # noqa: F811
    service, reconciler, settings, _db = env
    create(service, "upd")
    first = drive(reconciler, service, "upd", in_service).replicas[0]
    service.update_endpoint("upd", schemas.UpdateEndpoint(variants=[schemas.EndpointVariant(
        name="v1", model="models:/lr/2")]), "bob")
    assert service.describe_endpoint("upd").status == schemas.EndpointStatus.UPDATING
    with pytest.raises(Conflict):  # one update at a time
        service.update_endpoint("upd", schemas.UpdateEndpoint(), "bob")
    d = drive(reconciler, service, "upd", lambda d: in_service(d) and len(d.replicas) == 1)
    assert (d.generation, d.replicas[0].model_version) == (2, "2")
    assert not resources.is_alive(first.pid, None)  # the old replica drained and stopped
    second = d.replicas[0]
    # a new version that cannot start: the old replicas keep serving, the update is rolled back
    service.update_endpoint("upd", schemas.UpdateEndpoint(variants=[schemas.EndpointVariant(
        name="v1", model="models:/broken/1")]), "bob")
    d = drive(reconciler, service, "upd", lambda d: in_service(d) and (d.status_reason or "").startswith(
        "update rolled back"))
    assert d.generation == 2 and [v.model for v in d.variants] == ["models:/lr/2"]
    assert [(r.replica_id, r.pid) for r in d.replicas] == [(second.replica_id, second.pid)]
    assert invoke(settings, second.port, registered_models.rows[:1]).status_code == 200


def test_given_an_alias_endpoint_when_the_alias_moves_then_it_follows(env, registered_models):  # noqa: F811
    service, reconciler, settings, _db = env
    client = tracking.client(settings.mlflow_tracking_uri)
    client.set_registered_model_alias("lr", "follow", "1")
    create(service, "ali", model="models:/lr@follow")
    assert drive(reconciler, service, "ali", in_service).replicas[0].model_version == "1"
    client.set_registered_model_alias("lr", "follow", "2")
    d = drive(reconciler, service, "ali", lambda d: in_service(d) and [r.model_version for r in d.replicas] == ["2"])
    assert d.generation == 2


def test_given_the_agent_dies_then_another_re_attaches_to_live_replicas_and_delete_stops_them(env):
    service, reconciler, settings, db = env
    create(service, "keep")
    d = drive(reconciler, service, "keep", in_service)
    pid = d.replicas[0].pid
    # agent-a is gone (its reconciler and process handles with it); agent-b adopts the endpoint
    successor = EndpointReconciler(db, settings, "agent-b", lambda agent_id: agent_id == "agent-b")
    d = drive(successor, service, "keep", in_service)
    assert d.replicas[0].pid == pid and psutil.pid_exists(pid)
    service.delete_endpoint("keep")
    assert service.describe_endpoint("keep").status == schemas.EndpointStatus.DELETING
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        successor.reconcile()
        if not service.list_endpoints().items:
            break
    with pytest.raises(NotFound):
        service.describe_endpoint("keep")
    assert not resources.is_alive(pid, None)


def test_given_bad_requests_then_errors_name_the_field(env):
    service, _reconciler, _settings, _db = env
    with pytest.raises(InvalidParameter, match=r"variants\[0\]\.model"):
        create(service, "x", model="lr:1")
    with pytest.raises(NotFound, match=r"variants\[0\]\.model"):
        create(service, "x", model="models:/nope/1")
    with pytest.raises(NotFound, match=r"alias 'nope'"):
        create(service, "x", model="models:/lr@nope")
    with pytest.raises(InvalidParameter, match=r"instance_type"):
        service.create_endpoint(schemas.CreateEndpoint(name="x", variants=[schemas.EndpointVariant(
            model="models:/lr/1", instance_type="huge")]), None)
    with pytest.raises(InvalidParameter, match="used twice"):
        service.create_endpoint(schemas.CreateEndpoint(name="x", variants=[
            schemas.EndpointVariant(model="models:/lr/1"), schemas.EndpointVariant(model="models:/lr/1")]), None)
    create(service, "dup")
    with pytest.raises(Conflict, match="exists"):
        create(service, "dup")
    with pytest.raises(NotFound):
        service.update_endpoint("ghost", schemas.UpdateEndpoint(), None)


def test_given_a_canary_update_then_traffic_is_split_while_baking_and_a_failing_canary_rolls_back(
        env, registered_models):  # noqa: F811
    service, reconciler, settings, _db = env
    create(service, "can")
    first = drive(reconciler, service, "can", in_service).replicas[0]
    # a healthy canary: 30 % while baking, then everything
    service.update_endpoint("can", schemas.UpdateEndpoint(
        variants=[schemas.EndpointVariant(name="v1", model="models:/lr/2")],
        deployment_policy=schemas.DeploymentPolicy(type="canary", canary_percent=30, baking_seconds=3)), "bob")
    d = drive(reconciler, service, "can", lambda d: any(r.generation == 2 and r.weight > 0 for r in d.replicas))
    weights = {r.generation: r.weight for r in d.replicas}
    assert weights == {1: pytest.approx(0.7), 2: pytest.approx(0.3)}
    assert d.status == schemas.EndpointStatus.UPDATING
    d = drive(reconciler, service, "can", in_service)
    assert {r.generation: r.weight for r in d.replicas if r.weight > 0} == {2: pytest.approx(1.0)}
    assert not any(r.replica_id == first.replica_id and r.weight > 0 for r in d.replicas)
    # a canary whose predictions fail (5xx): rolled back once its error rate passes the threshold
    service.update_endpoint("can", schemas.UpdateEndpoint(
        variants=[schemas.EndpointVariant(name="v1", model="models:/faulty/1")],
        deployment_policy=schemas.DeploymentPolicy(type="canary", canary_percent=50, baking_seconds=600,
                                                   error_rate_threshold=0.2)), "bob")
    d = drive(reconciler, service, "can", lambda d: any(r.generation == 3 and r.weight > 0 for r in d.replicas))
    canary = next(r for r in d.replicas if r.generation == 3)
    for _ in range(10):  # the router's share of traffic for the canary
        assert invoke(settings, canary.port, registered_models.rows[:1]).status_code == 500
    d = drive(reconciler, service, "can", lambda d: (d.status_reason or "").startswith("update rolled back"))
    assert d.status == schemas.EndpointStatus.IN_SERVICE and "error rate" in d.status_reason
    assert [v.model for v in d.variants] == ["models:/lr/2"] and d.generation == 2
    assert [(r.generation, r.weight) for r in d.replicas if r.weight > 0] == [(2, pytest.approx(1.0))]


def test_given_a_linear_update_then_traffic_moves_in_steps(env):
    service, reconciler, settings, _db = env
    create(service, "lin")
    drive(reconciler, service, "lin", in_service)
    service.update_endpoint("lin", schemas.UpdateEndpoint(
        variants=[schemas.EndpointVariant(name="v1", model="models:/lr/2")],
        deployment_policy=schemas.DeploymentPolicy(type="linear", step_percent=50, step_seconds=2)), "bob")
    d = drive(reconciler, service, "lin", lambda d: any(r.generation == 2 and r.weight > 0 for r in d.replicas))
    assert {r.generation: r.weight for r in d.replicas} == {1: pytest.approx(0.5), 2: pytest.approx(0.5)}
    d = drive(reconciler, service, "lin", in_service)
    assert {r.generation: r.weight for r in d.replicas if r.weight > 0} == {2: pytest.approx(1.0)}


# ---------------------------------------------------------------------------------- rollback


def versions(d) -> list[str]:
    return sorted(r.model_version for r in d.replicas)


def test_given_a_finished_update_when_rolled_back_then_the_previous_version_serves_and_again_rolls_forward(
        env, registered_models):  # noqa: F811
    service, reconciler, settings, _db = env
    create(service, "rb")
    d = drive(reconciler, service, "rb", in_service)
    assert d.previous_configuration is None
    with pytest.raises(Conflict, match="no previous configuration"):
        service.rollback_endpoint("rb", schemas.RollbackEndpoint(), "carol")
    service.update_endpoint("rb", schemas.UpdateEndpoint(variants=[schemas.EndpointVariant(
        name="v1", model="models:/lr/2")]), "bob")
    d = drive(reconciler, service, "rb", lambda d: in_service(d) and versions(d) == ["2"])
    assert [v.model for v in d.previous_configuration.variants] == ["models:/lr/1"]
    assert d.deployment.completed_at is not None and not d.deployment.rollback and d.deployment.by == "bob"

    service.rollback_endpoint("rb", schemas.RollbackEndpoint(), "carol")
    d = service.describe_endpoint("rb")
    assert d.status == schemas.EndpointStatus.UPDATING and "rolling back" in d.status_reason
    d = drive(reconciler, service, "rb", lambda d: in_service(d) and versions(d) == ["1"])
    assert [v.model for v in d.variants] == ["models:/lr/1"] and d.generation == 3
    assert d.deployment.rollback and d.deployment.by == "carol"
    assert invoke(settings, d.replicas[0].port, registered_models.rows).json() == {"predictions": registered_models.expected}
    # the configuration it replaced is the previous one now: a second rollback rolls forward
    assert [v.model for v in d.previous_configuration.variants] == ["models:/lr/2"]
    service.rollback_endpoint("rb", schemas.RollbackEndpoint(), "carol")
    d = drive(reconciler, service, "rb", lambda d: in_service(d) and versions(d) == ["2"])
    with pytest.raises(NotFound):
        service.rollback_endpoint("ghost", schemas.RollbackEndpoint(), "carol")


def test_given_a_canary_in_progress_when_rolled_back_then_the_old_replica_takes_all_traffic_at_once(env):
    service, reconciler, settings, _db = env
    create(service, "abort")
    first = drive(reconciler, service, "abort", in_service).replicas[0]
    service.update_endpoint("abort", schemas.UpdateEndpoint(
        variants=[schemas.EndpointVariant(name="v1", model="models:/lr/2")],
        deployment_policy=schemas.DeploymentPolicy(type="canary", canary_percent=40, baking_seconds=600)), "bob")
    d = drive(reconciler, service, "abort", lambda d: any(r.generation == 2 and r.weight > 0 for r in d.replicas))
    canary = next(r for r in d.replicas if r.generation == 2)
    # the history tells the two versions apart (one variant name, two series)
    for port, n in ((first.port, 3), (canary.port, 2)):
        for _ in range(n):
            assert invoke(settings, port, [[0.0] * 30]).status_code == 200
    sample_now(reconciler, "abort")
    m = service.metrics("abort", schemas.EndpointMetricsQuery(since_seconds=300))
    assert [(s.variant, s.model_version, sum(p.invocations for p in s.points)) for s in m.series] == [
        (None, None, 5), ("v1", "1", 3), ("v1", "2", 2)]
    service.rollback_endpoint("abort", schemas.RollbackEndpoint(), "carol")
    reconciler.reconcile()  # one pass, not a new deployment: the old replica is still there
    d = service.describe_endpoint("abort")
    assert d.status == schemas.EndpointStatus.IN_SERVICE
    assert d.status_reason == "update rolled back: rollback requested by carol"
    assert [(r.replica_id, r.pid, r.weight) for r in d.replicas] == [(first.replica_id, first.pid, pytest.approx(1.0))]
    assert not resources.is_alive(canary.pid, None)
    assert [v.model for v in d.variants] == ["models:/lr/1"] and d.generation == 1
    assert d.deployment.rolled_back_at is not None and d.deployment.rollback_reason == "rollback requested by carol"


def test_given_a_rollback_request_racing_the_end_of_an_update_then_it_is_not_lost(env):
    """The request lands between the agent's read of the endpoint and its write that ends the update
    (a timing the test makes certain by writing it from inside that pass)."""
    service, reconciler, settings, _db = env
    create(service, "race")
    first = drive(reconciler, service, "race", in_service).replicas[0]
    service.update_endpoint("race", schemas.UpdateEndpoint(variants=[schemas.EndpointVariant(
        name="v1", model="models:/lr/2")]), "bob")
    advance = reconciler._advance_update

    def request_then_advance(ep, new, old):
        service.rollback_endpoint("race", schemas.RollbackEndpoint(), "carol")
        advance(ep, new, old)

    reconciler._advance_update = request_then_advance
    drive(reconciler, service, "race", lambda d: d.replicas and all(r.status == "Healthy" for r in d.replicas)
          and len(d.replicas) == 2, timeout=120)
    reconciler._advance_update = advance
    d = drive(reconciler, service, "race", lambda d: in_service(d) and len(d.replicas) == 1)
    assert d.status_reason == "update rolled back: rollback requested by carol"
    assert (d.replicas[0].replica_id, d.replicas[0].model_version) == (first.replica_id, "1")


def test_given_an_alias_moved_when_rolled_back_then_the_version_it_pointed_at_before_serves(env):
    service, reconciler, settings, _db = env
    client = tracking.client(settings.mlflow_tracking_uri)
    client.set_registered_model_alias("lr", "pin", "1")
    create(service, "pin", model="models:/lr@pin")
    drive(reconciler, service, "pin", in_service)
    client.set_registered_model_alias("lr", "pin", "2")
    d = drive(reconciler, service, "pin", lambda d: in_service(d) and versions(d) == ["2"])
    assert [v.model for v in d.previous_configuration.variants] == ["models:/lr/1"]  # pinned, not the alias
    service.rollback_endpoint("pin", schemas.RollbackEndpoint(), "carol")
    d = drive(reconciler, service, "pin", lambda d: in_service(d) and versions(d) == ["1"])
    assert [v.model for v in d.variants] == ["models:/lr/1"]
    for _ in range(3):  # pinned: the alias (still on 2) no longer moves it
        reconciler.last_alias_check.clear()
        reconciler.reconcile()
    assert service.describe_endpoint("pin").status == schemas.EndpointStatus.IN_SERVICE
    assert versions(service.describe_endpoint("pin")) == ["1"]


# ---------------------------------------------------------------------------------- metric history


def history_totals(service, name, since=600.0):
    m = service.metrics(name, schemas.EndpointMetricsQuery(since_seconds=since))
    whole = m.series[0]
    assert whole.variant is None
    return (sum(p.invocations for p in whole.points), sum(p.errors_4xx for p in whole.points),
            [p for p in whole.points if p.invocations], m)


def sample_now(reconciler, name):
    reconciler.last_sample.pop(name, None)
    reconciler.reconcile()


def test_given_traffic_then_the_history_counts_every_request_across_a_replica_restart_and_an_agent_restart(
        env, registered_models):  # noqa: F811
    service, reconciler, settings, db = env
    create(service, "hist")
    port = drive(reconciler, service, "hist", in_service).replicas[0].port
    for _ in range(20):
        assert invoke(settings, port, registered_models.rows[:1]).status_code == 200
    for _ in range(3):
        assert invoke(settings, port, [[1.0]]).status_code == 400  # wrong shape
    sample_now(reconciler, "hist")
    total, errors, busy, m = history_totals(service, "hist")
    assert (total, errors) == (23, 3)
    assert m.period_seconds == 5.0 and len(m.series[0].points) >= 120  # 10 minutes of zero-filled 5 s points
    assert [(s.variant, s.model_version) for s in m.series] == [(None, None), ("v1", "1")]
    assert busy[-1].latency_p50_ms is not None and busy[-1].latency_p99_ms >= busy[-1].latency_p50_ms

    # the replica crashes and is restarted from zero counters: the history keeps what it had
    pid = service.describe_endpoint("hist").replicas[0].pid
    os.kill(pid, signal.SIGKILL)
    d = drive(reconciler, service, "hist", lambda d: d.replicas[0].status == "Healthy" and d.replicas[0].pid != pid)
    for _ in range(5):
        assert invoke(settings, d.replicas[0].port, registered_models.rows[:1]).status_code == 200
    sample_now(reconciler, "hist")
    assert history_totals(service, "hist")[:2] == (28, 3)

    # a new agent (no memory of the last sample) neither loses nor double-counts
    successor = EndpointReconciler(db, settings, "agent-b", lambda agent_id: agent_id == "agent-b")
    for _ in range(4):
        assert invoke(settings, d.replicas[0].port, registered_models.rows[:1]).status_code == 200
    sample_now(successor, "hist")
    sample_now(successor, "hist")
    assert history_totals(service, "hist")[:2] == (32, 3)
    # periods: one point per minute over an hour; bad periods are a 400 naming the field
    m = service.metrics("hist", schemas.EndpointMetricsQuery(since_seconds=3600, period_seconds=60))
    assert m.period_seconds == 60 and 60 <= len(m.series[0].points) <= 61
    assert sum(p.invocations for p in m.series[0].points) == 32
    with pytest.raises(InvalidParameter, match="period_seconds"):
        service.metrics("hist", schemas.EndpointMetricsQuery(since_seconds=7 * 86400, period_seconds=1))
    # deleted: a new endpoint of the same name starts with no history
    service.delete_endpoint("hist")
    for _ in range(3):
        successor.reconcile()
    create(service, "hist")
    assert history_totals(service, "hist")[:2] == (0, 0)


SPIN_MODEL = '''
import time
import mlflow.pyfunc
from mlflow.models import set_model


class Spin(mlflow.pyfunc.PythonModel):
    """Keeps its CPU busy for `seconds` (a large request on a one-worker replica)."""

    def predict(self, context, model_input):
        seconds = float(model_input["seconds"].iloc[0])
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            sum(range(1000))
        return [seconds] * len(model_input)


set_model(Spin())
'''


def test_given_a_long_request_on_a_one_worker_replica_then_its_missed_pings_do_not_restart_it(
        env, registered_models, tmp_path):  # noqa: F811
    import threading

    import mlflow
    import pandas as pd

    service, reconciler, settings, _db = env
    code = tmp_path / "spin.py"
    code.write_text(SPIN_MODEL)
    client = tracking.client(registered_models.tracking_uri)
    experiment = client.create_experiment("spin", artifact_location=(tmp_path / "art").as_uri())
    with _mlflow_env():
        mlflow.set_tracking_uri(registered_models.tracking_uri)
        mlflow.set_registry_uri(registered_models.tracking_uri)
        with mlflow.start_run(experiment_id=experiment):
            mlflow.pyfunc.log_model(name="model", python_model=str(code), registered_model_name="spin",
                                    input_example=pd.DataFrame({"seconds": [0.0]}), pip_requirements=[])
    create(service, "busy", model="models:/spin/1")  # local.small: one worker
    replica = drive(reconciler, service, "busy", in_service).replicas[0]

    answers = []
    slow = threading.Thread(target=lambda: answers.append(requests.post(
        f"http://127.0.0.1:{replica.port}/invocations", json={"dataframe_records": [{"seconds": 10.0}]},
        headers=bearer(replica_token(settings.home)), timeout=60)))
    slow.start()
    deadline = time.monotonic() + 12
    while slow.is_alive() and time.monotonic() < deadline:  # the agent pings it every 2 s meanwhile
        reconciler.reconcile()
        time.sleep(0.5)
    slow.join(60)

    assert answers and answers[0].status_code == 200, answers
    after = service.describe_endpoint("busy").replicas[0]
    assert (after.pid, after.restarts) == (replica.pid, 0)


def test_given_schema_enforcement_then_mlflow_mode_ignores_an_unknown_column_and_strict_names_it(
        env, registered_models):  # noqa: F811
    service, reconciler, settings, _db = env
    service.create_endpoint(schemas.CreateEndpoint(
        name="strict", variants=[schemas.EndpointVariant(name="v1", model="models:/lr/1")],
        schema_enforcement="strict"), "alice")
    create(service, "lenient")
    lenient = drive(reconciler, service, "lenient", in_service)
    strict = drive(reconciler, service, "strict", in_service)
    assert (lenient.schema_enforcement, strict.schema_enforcement) == ("mlflow", "strict")
    columns = [*registered_models.columns, "extra"]
    body = {"dataframe_split": {"columns": columns, "data": [[*row, 1.0] for row in registered_models.rows]}}

    def post(described):
        return requests.post(f"http://127.0.0.1:{described.replicas[0].port}/invocations", json=body, timeout=30,
                             headers=bearer(replica_token(settings.home)))

    assert post(lenient).json() == {"predictions": registered_models.expected}  # as `mlflow models serve`
    refused = post(strict)
    assert refused.status_code == 400 and "column 'extra'" in refused.json()["message"]
