"""Real-time endpoints as desired state and queries: the contract and its database implementation.

The service only writes what the user wants (the `endpoints` row); the agent's endpoint reconciler
(runner/reconcilers/) starts, checks and stops replica processes to match, and moves the status
Creating -> InService, Updating -> InService (or rolled back), -> Failed with a reason. Requests
reach the replicas through the router (serving/router.py), which asks `healthy_replicas` here.
"""

from __future__ import annotations

import json
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from .. import paths, schemas
from ..credentials import replica_token
from ..exceptions import Conflict, InvalidParameter, NotFound
from ..model_uris import parse_model_uri, resolve_model
from ..security.keys import KeyRing
from ..serving.capture import read_record
from ..serving.metrics import (
    METRICS_SAMPLE_S,
    counts_summary,
    fetch_metrics,
    merge_counts,
    parse_prometheus,
)
from ..settings import StudioSettings
from ..store import orm
from ..store.db import Database, rowcount

HISTORY_POINTS = 180  # points per series when the caller gives no period
MAX_HISTORY_POINTS = 2000


class BaseEndpointService(ABC):
    """Real-time endpoints: what the REST handlers, the router, the SDK and the CLI reach.

    An implementation keeps the desired state (variants, data capture, deployment policy,
    generation) and answers queries about it; it never starts or stops a process: the agent's
    endpoint reconciler moves the replicas toward the desired state and writes their status back.
    Methods block (database, files, HTTP to replicas); the handlers call them on a worker thread.

    Errors are `StudioError`s: `InvalidParameter` names the field at fault (400), `NotFound` the
    missing endpoint or model (404), `Conflict` a request the endpoint's status does not allow now
    (409).
    """

    # ------------------------------------------------------------------ desired state

    @abstractmethod
    def create_endpoint(self, request: schemas.CreateEndpoint,
                        user: str | None) -> schemas.DescribeEndpoint:
        """Record a new endpoint (status Creating, generation 1); the agent starts its replicas.

        Args:
            request: the name, the variants (unique names, instance types from the catalog, a
                model URI that resolves in the registry now, at least one weight above 0) and
                the data capture.
            user: who asks (recorded as `created_by`).

        Returns:
            The endpoint as it is now (Creating, no replicas yet).

        Raises:
            InvalidParameter: a variant is invalid (the field is named, e.g. `variants[1].model`).
            NotFound: a variant's model or alias does not exist.
            Conflict: an endpoint of that name exists.
        """

    @abstractmethod
    def update_endpoint(self, name: str, request: schemas.UpdateEndpoint, user: str | None) -> None:
        """Deploy a new configuration as the next generation (status Updating; Creating when the
        endpoint had Failed). The agent starts the new replicas and shifts traffic to them by
        `request.deployment_policy` (all at once, canary, linear); the configuration replaced
        becomes the previous one, what `rollback_endpoint` returns to.

        Raises:
            InvalidParameter, NotFound: as for create.
            Conflict: the endpoint is Creating, Updating or Deleting.
        """

    @abstractmethod
    def rollback_endpoint(self, name: str, request: schemas.RollbackEndpoint,
                          user: str | None) -> None:
        """During an update: ask the agent to stop it (the previous replicas, still running, take
        all traffic back at once). Otherwise: deploy the previous configuration as a new
        generation, by `request.deployment_policy`.

        Raises:
            Conflict: the endpoint is Creating or Deleting, or has no previous configuration.
        """

    @abstractmethod
    def delete_endpoint(self, name: str) -> None:
        """Mark the endpoint Deleting: the router stops routing to it at once, the agent stops its
        replicas, then removes it and its metric history. Captured files stay.

        Raises:
            NotFound: no endpoint of that name.
        """

    # ------------------------------------------------------------------ queries

    @abstractmethod
    def describe_endpoint(self, name: str) -> schemas.DescribeEndpoint:
        """The endpoint's desired state, status, deployment progress and replicas (ordered by
        generation, variant, replica id).

        Raises:
            NotFound: no endpoint of that name.
        """

    @abstractmethod
    def list_endpoints(self) -> schemas.ListEndpointsResponse:
        """Every endpoint, described as `describe_endpoint` does, ordered by name."""

    @abstractmethod
    def healthy_replicas(self, name: str) -> list[tuple[float, int, str]]:
        """The router's query: (weight, port, variant) of each replica that takes traffic now
        (Healthy, weight above 0, a port). Uncached: the router caches it briefly.

        Raises:
            NotFound: no endpoint of that name, or it is being deleted.
        """

    @abstractmethod
    def metrics(self, name: str,
                query: schemas.EndpointMetricsQuery | None = None) -> schemas.EndpointMetrics:
        """Invocation counts and latency quantiles: the live replicas' totals per variant (and
        their Prometheus text), and the history the agent sampled over `query.since_seconds`
        in periods of `query.period_seconds` (default: about HISTORY_POINTS points), aligned to
        the clock and zero-filled: the whole endpoint first, then each (variant, model version).

        Raises:
            NotFound: no endpoint of that name.
            InvalidParameter: the period gives more than MAX_HISTORY_POINTS points.
        """

    @abstractmethod
    def read_capture(self, name: str,
                     query: schemas.EndpointCaptureQuery) -> schemas.EndpointCapture:
        """The newest `query.max_items` captured request/response records, newest first, with
        the capture folder and its files.

        Raises:
            NotFound: no endpoint of that name.
        """


def _utcnow() -> datetime:
    return datetime.now(UTC)


class EndpointService(BaseEndpointService):
    """Endpoints in the studio database; replicas' live metrics read from their /metrics.

    Args:
        mlflow_client_factory: () -> MlflowClient; when given, variants' models are resolved in
            the registry on create/update/rollback (NotFound early, not a Failed endpoint later).
    """

    def __init__(self, db: Database, settings: StudioSettings,
                 mlflow_client_factory: Callable[[], Any] | None = None):
        self.db = db
        self.settings = settings
        self._mlflow_client_factory = mlflow_client_factory

    # ------------------------------------------------------------------ desired state

    def _validate(self, variants: list[schemas.EndpointVariant], field: str = "variants") -> None:
        seen = set()
        for i, variant in enumerate(variants):
            if variant.name in seen:
                raise InvalidParameter(f"{field}[{i}].name: {variant.name!r} is used twice")
            seen.add(variant.name)
            if variant.instance_type not in self.settings.instance_types:
                known = ", ".join(sorted(self.settings.instance_types))
                raise InvalidParameter(f"{field}[{i}].instance_type: {variant.instance_type!r} is not in the "
                                       f"catalog ({known})")
            parse_model_uri(variant.model, f"{field}[{i}].model")
            if self._mlflow_client_factory is not None:
                resolve_model(self._mlflow_client_factory(), variant.model, f"{field}[{i}].model")
        if not any(v.weight > 0 for v in variants):
            raise InvalidParameter(f"{field}: at least one variant needs a weight above 0")

    def create_endpoint(self, request: schemas.CreateEndpoint, user: str | None) -> schemas.DescribeEndpoint:
        self._validate(request.variants)
        config = {"variants": [v.model_dump() for v in request.variants],
                  "data_capture": request.data_capture.model_dump() if request.data_capture else None,
                  "schema_enforcement": request.schema_enforcement.value}
        with self.db.session() as session:
            if session.get(orm.Endpoint, request.name) is not None:
                raise Conflict(f"name: an endpoint named {request.name!r} exists; update or delete it")
            session.add(orm.Endpoint(name=request.name, status=schemas.EndpointStatus.CREATING.value,
                                     status_reason="starting replicas", config=config, generation=1,
                                     created_by=user))
        return self.describe_endpoint(request.name)

    def update_endpoint(self, name: str, request: schemas.UpdateEndpoint, user: str | None) -> None:
        if request.variants is not None:
            self._validate(request.variants)
        with self.db.session() as session:
            row = self._row(session, name)
            if row.status in (schemas.EndpointStatus.UPDATING.value, schemas.EndpointStatus.DELETING.value,
                              schemas.EndpointStatus.CREATING.value):
                raise Conflict(f"endpoint {name!r} is {row.status}; wait until it is InService or Failed")
            config = dict(row.config)
            if request.variants is not None:
                config["variants"] = [v.model_dump() for v in request.variants]
            if request.data_capture is not None:
                config["data_capture"] = request.data_capture.model_dump()
            if request.schema_enforcement is not None:
                config["schema_enforcement"] = request.schema_enforcement.value
            self._deploy(row, config, request.deployment_policy, user)

    def rollback_endpoint(self, name: str, request: schemas.RollbackEndpoint, user: str | None) -> None:
        with self.db.session() as session:
            row = self._row(session, name)
            if row.status == schemas.EndpointStatus.UPDATING.value:
                asked = rowcount(session.execute(update(orm.Endpoint).where(
                    orm.Endpoint.name == name, orm.Endpoint.generation == row.generation,
                    orm.Endpoint.status == schemas.EndpointStatus.UPDATING.value).values(
                    rollback_requested_at=_utcnow(), rollback_requested_by=user or "unknown",
                    status_reason="rollback requested; the previous replicas take the traffic back")))
                if asked == 1:
                    return
                session.expire_all()  # the update ended meanwhile: roll back what it left, below
                row = self._row(session, name)
            if row.status in (schemas.EndpointStatus.CREATING.value, schemas.EndpointStatus.DELETING.value):
                raise Conflict(f"endpoint {name!r} is {row.status}; there is nothing to roll back yet")
            if not row.previous_config:
                raise Conflict(f"endpoint {name!r} has no previous configuration to roll back to")
            previous = schemas.EndpointConfiguration.model_validate(row.previous_config)
            self._validate(previous.variants, "previous_configuration.variants")
            self._deploy(row, row.previous_config, request.deployment_policy, user, rollback=True)

    @staticmethod
    def _deploy(row: orm.Endpoint, config: dict, policy: schemas.DeploymentPolicy | None, user: str | None,
                rollback: bool = False) -> None:
        """A new generation: the agent starts its replicas and shifts traffic by `policy`; the
        configuration it replaces becomes the previous one (what a rollback deploys)."""
        policy_fields = (policy or schemas.DeploymentPolicy()).model_dump()
        failed = row.status == schemas.EndpointStatus.FAILED.value
        row.previous_config = None if failed else row.config
        row.config = config
        row.generation += 1
        row.deployment = {**policy_fields, "started_at": time.time(), "by": user, "rollback": rollback}
        row.rollback_requested_at = row.rollback_requested_by = None
        row.status = (schemas.EndpointStatus.CREATING if failed else schemas.EndpointStatus.UPDATING).value
        what = "rolling back to the previous configuration" if rollback else "deploying"
        row.status_reason = f"{what}: generation {row.generation} ({policy_fields['type']})"

    def delete_endpoint(self, name: str) -> None:
        with self.db.session() as session:
            row = self._row(session, name)
            row.status = schemas.EndpointStatus.DELETING.value
            row.status_reason = "stopping replicas"

    # ------------------------------------------------------------------ queries

    def _row(self, session, name: str) -> orm.Endpoint:
        row = session.get(orm.Endpoint, name)
        if row is None:
            raise NotFound(f"name: no endpoint named {name!r}")
        return row

    def _describe(self, row: orm.Endpoint, replicas: list[orm.EndpointReplica]) -> schemas.DescribeEndpoint:
        config = row.config or {}
        dep = row.deployment or None
        return schemas.DescribeEndpoint(
            name=row.name, status=schemas.EndpointStatus(row.status), status_reason=row.status_reason,
            variants=[schemas.EndpointVariant(**v) for v in config.get("variants", [])],
            data_capture=schemas.DataCaptureConfig(**config["data_capture"]) if config.get("data_capture") else None,
            schema_enforcement=schemas.SchemaEnforcement(config.get("schema_enforcement", "mlflow")),
            deployment_policy=schemas.DeploymentPolicy(**{k: v for k, v in dep.items()
                                                          if k in schemas.DeploymentPolicy.model_fields})
            if dep else None,
            deployment=deployment_progress(dep) if dep else None,
            previous_configuration=schemas.EndpointConfiguration.model_validate(row.previous_config)
            if row.previous_config else None,
            generation=row.generation,
            replicas=[schemas.EndpointReplica(
                replica_id=r.replica_id, variant=r.variant, generation=r.generation, model_version=r.model_version,
                status=schemas.ReplicaStatus(r.status), port=r.port, pid=r.pid, restarts=r.restarts,
                weight=r.weight, last_error=r.last_error, started_at=r.started_at) for r in replicas],
            invocation_url=f"/studio/endpoints/{row.name}/invocations",
            created_by=row.created_by, created_at=row.created_at, updated_at=row.updated_at)

    def describe_endpoint(self, name: str) -> schemas.DescribeEndpoint:
        with self.db.session() as session:
            row = self._row(session, name)
            replicas = session.scalars(select(orm.EndpointReplica).where(orm.EndpointReplica.endpoint_name == name)
                                       .order_by(orm.EndpointReplica.generation, orm.EndpointReplica.variant,
                                                 orm.EndpointReplica.replica_id)).all()
            return self._describe(row, list(replicas))

    def list_endpoints(self) -> schemas.ListEndpointsResponse:
        with self.db.session() as session:
            rows = session.scalars(select(orm.Endpoint).order_by(orm.Endpoint.name)).all()
            replicas = session.scalars(select(orm.EndpointReplica)).all()
            by_name: dict[str, list] = {}
            for r in replicas:
                by_name.setdefault(r.endpoint_name, []).append(r)
            return schemas.ListEndpointsResponse(items=[self._describe(r, by_name.get(r.name, [])) for r in rows])

    def healthy_replicas(self, name: str) -> list[tuple[float, int, str]]:
        with self.db.session() as session:
            row = self._row(session, name)
            if row.status == schemas.EndpointStatus.DELETING.value:
                raise NotFound(f"name: endpoint {name!r} is being deleted")
            found = session.execute(
                select(orm.EndpointReplica.weight, orm.EndpointReplica.port, orm.EndpointReplica.variant)
                .where(orm.EndpointReplica.endpoint_name == name,
                       orm.EndpointReplica.status == schemas.ReplicaStatus.HEALTHY.value,
                       orm.EndpointReplica.weight > 0)).all()
        return [(float(w), int(p), v) for w, p, v in found if p]

    def metrics(self, name: str, query: schemas.EndpointMetricsQuery | None = None) -> schemas.EndpointMetrics:
        query = query or schemas.EndpointMetricsQuery()
        described = self.describe_endpoint(name)
        texts: list[str] = []
        per_variant: dict[str, dict] = {}
        for replica in described.replicas:
            if replica.status != schemas.ReplicaStatus.HEALTHY or not replica.port:
                continue
            text = fetch_metrics(replica.port, replica_token(self.settings.home), timeout=2.0)
            if not text:
                continue
            texts.append(text)
            merge_counts(per_variant.setdefault(replica.variant, {}), parse_prometheus(text))
        variants = [schemas.EndpointVariantMetrics(variant=v, **counts_summary(agg))
                    for v, agg in sorted(per_variant.items())]
        period, series = self._history(name, query)
        return schemas.EndpointMetrics(name=name, variants=variants, prometheus="".join(texts),
                                       period_seconds=period, series=series)

    def _history(self, name: str, query: schemas.EndpointMetricsQuery
                 ) -> tuple[float, list[schemas.EndpointMetricSeries]]:
        """Per-period counts and latency quantiles from the agent's samples (see `metrics`), so a
        canary's traffic shows beside the version it replaces."""
        period = query.period_seconds or max(
            METRICS_SAMPLE_S, math.ceil(query.since_seconds / HISTORY_POINTS / METRICS_SAMPLE_S) * METRICS_SAMPLE_S)
        points = math.ceil(query.since_seconds / period)
        if points > MAX_HISTORY_POINTS:
            raise InvalidParameter(f"period_seconds: {period:g} s over since_seconds {query.since_seconds:g} gives "
                                   f"{points} points; at most {MAX_HISTORY_POINTS} (use a longer period)")
        now = time.time()
        start = math.floor((now - query.since_seconds) / period) * period
        count = max(1, math.ceil((now - start) / period))
        with self.db.session() as session:
            rows = session.execute(
                select(orm.EndpointMetricSample.variant, orm.EndpointMetricSample.model_version,
                       orm.EndpointMetricSample.at, orm.EndpointMetricSample.delta)
                .where(orm.EndpointMetricSample.endpoint_name == name,
                       orm.EndpointMetricSample.at >= datetime.fromtimestamp(start, UTC))).all()
        whole: list[dict] = [{} for _ in range(count)]
        by_variant: dict[tuple[str, str | None], list[dict]] = {}
        for variant, version, at, delta in rows:
            i = min(count - 1, int((at.timestamp() - start) // period))
            merge_counts(whole[i], delta)
            merge_counts(by_variant.setdefault((variant, version), [{} for _ in range(count)])[i], delta)

        def points_of(aggs: list[dict]) -> list[schemas.EndpointMetricPoint]:
            return [schemas.EndpointMetricPoint(time=datetime.fromtimestamp(start + i * period, UTC),
                                                **counts_summary(agg))
                    for i, agg in enumerate(aggs)]

        series = [schemas.EndpointMetricSeries(variant=None, points=points_of(whole))]
        series += [schemas.EndpointMetricSeries(variant=v, model_version=version, points=points_of(aggs))
                   for (v, version), aggs in sorted(by_variant.items(), key=lambda item: (item[0][0], _version_key(
                       item[0][1])))]
        return period, series

    def read_capture(self, name: str, query: schemas.EndpointCaptureQuery) -> schemas.EndpointCapture:
        """Files are JSONL, one per replica worker, rotated by size; a line still being written is
        skipped."""
        self.describe_endpoint(name)
        folder: Path = paths.endpoint_capture_dir(name, self.settings.home)
        files = sorted(folder.glob("*.jsonl"), key=lambda f: f.stat().st_mtime, reverse=True) if folder.is_dir() else []
        records: list[schemas.EndpointCaptureRecord] = []
        keyring = KeyRing.for_home(self.settings.home) if files else None
        for f in files:
            for line in reversed(f.read_text(errors="replace").splitlines()):
                try:
                    data = json.loads(line)
                except ValueError:
                    continue  # a line still being written
                given, answered, error = read_record(data, keyring)
                records.append(schemas.EndpointCaptureRecord(time=data.get("time", 0.0), input=given,
                                                             output=answered, file=f.name, error=error))
            if len(records) >= query.max_items:
                break
        records.sort(key=lambda r: r.time, reverse=True)
        return schemas.EndpointCapture(name=name, folder=str(folder), files=[f.name for f in files],
                                       records=records[:query.max_items])


def _version_key(version: str | None) -> tuple[int, str]:
    """Model versions in numeric order ('2' before '10')."""
    return (int(version), "") if version and version.isdigit() else (0, version or "")


def _epoch(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


def deployment_progress(dep: dict) -> schemas.DeploymentProgress:
    """The agent's deployment record (epoch seconds, internal keys) as the API shows it."""
    return schemas.DeploymentProgress(
        type=dep.get("type", "all_at_once"), by=dep.get("by"), rollback=bool(dep.get("rollback")),
        share=dep.get("share"), started_at=_epoch(dep.get("started_at")), completed_at=_epoch(dep.get("completed_at")),
        rolled_back_at=_epoch(dep.get("rolled_back_at")), rollback_reason=dep.get("reason"))
