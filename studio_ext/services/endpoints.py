"""Real-time endpoints as desired state: create/describe/list/update/delete, routing and metrics.

The service only writes what the user wants (the `endpoints` row); the agent's reconciler
(runner/endpoints.py) starts, checks and stops replica processes to match, and moves the status
Creating -> InService, Updating -> InService (or rolled back), -> Failed with a reason.
"""

from __future__ import annotations

import http.client
import math
import random
import re
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import select, update

from .. import schemas
from ..exceptions import Conflict, InvalidParameter, NotFound, ServiceUnavailable
from ..settings import StudioSettings
from ..store import orm
from ..store.db import Database

MODEL_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[A-Za-z0-9_-]+))$")
ROUTES_TTL_S = 0.5  # the router re-reads healthy replicas at most this often
AUDIT_FLUSH_S = 30.0  # invocations are summed per (user, endpoint) and written this often
METRICS_SAMPLE_S = 5.0  # the agent reads every replica's /metrics this often (the history's resolution)
HISTORY_POINTS = 180  # points per series when the caller gives no period
MAX_HISTORY_POINTS = 2000


def parse_model_uri(uri: str, field: str = "model") -> tuple[str, str | None, str | None]:
    """models:/<name>/<version> or models:/<name>@<alias> -> (name, version, alias)."""
    match = MODEL_URI.match(uri.strip())
    if not match:
        raise InvalidParameter(f"{field}: {uri!r} is not models:/<name>/<version> or models:/<name>@<alias>")
    return match["name"], match["version"], match["alias"]


def resolve_model(client, uri: str, field: str = "model") -> tuple[str, str]:
    """(version, download URI) of what `uri` points at now; NotFound naming `field` otherwise."""
    name, version, alias = parse_model_uri(uri, field)
    try:
        mv = client.get_model_version_by_alias(name, alias) if alias else client.get_model_version(name, version)
        return str(mv.version), client.get_model_version_download_uri(name, str(mv.version))
    except Exception as exc:  # MLflow raises its own RestException/MlflowException kinds
        what = f"alias {alias!r}" if alias else f"version {version}"
        raise NotFound(f"{field}: model {name!r} has no {what} ({getattr(exc, 'message', exc)})"[:500]) from None


def _utcnow() -> datetime:
    return datetime.now(UTC)


class EndpointService:
    def __init__(self, db: Database, settings: StudioSettings, mlflow_client_factory=None, audit=None):
        self.db = db
        self.settings = settings
        self._mlflow_client_factory = mlflow_client_factory  # () -> MlflowClient, for validation
        self.audit = audit
        self._routes: dict[str, tuple[float, list[tuple[float, int, str]]]] = {}
        self._counts: dict[tuple[str, str], list[int]] = {}
        self._counts_lock = threading.Lock()
        self._last_flush = time.monotonic()

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
                  "data_capture": request.data_capture.model_dump() if request.data_capture else None}
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
            self._deploy(row, config, request.deployment_policy, user)

    def rollback_endpoint(self, name: str, request: schemas.RollbackEndpoint, user: str | None) -> None:
        """During an update: ask the agent to stop it (the previous replicas still run and take all
        traffic back at once). Otherwise: deploy the previous configuration as a new generation."""
        with self.db.session() as session:
            row = self._row(session, name)
            if row.status == schemas.EndpointStatus.UPDATING.value:
                asked = session.execute(update(orm.Endpoint).where(
                    orm.Endpoint.name == name, orm.Endpoint.generation == row.generation,
                    orm.Endpoint.status == schemas.EndpointStatus.UPDATING.value).values(
                    rollback_requested_at=_utcnow(), rollback_requested_by=user or "unknown",
                    status_reason="rollback requested; the previous replicas take the traffic back")).rowcount
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
        self._routes.pop(name, None)

    # ------------------------------------------------------------------ reads

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
            deployment_policy=schemas.DeploymentPolicy(**{k: v for k, v in dep.items()
                                                          if k in schemas.DeploymentPolicy.model_fields})
            if dep else None,
            deployment=deployment_progress(dep) if dep else None,
            previous_configuration=schemas.EndpointConfiguration.model_validate(row.previous_config)
            if row.previous_config else None,
            generation=row.generation,
            replicas=[schemas.EndpointReplica(
                replica_id=r.replica_id, variant=r.variant, generation=r.generation, model_version=r.model_version,
                status=r.status, port=r.port, pid=r.pid, restarts=r.restarts, weight=r.weight,
                last_error=r.last_error, started_at=r.started_at) for r in replicas],
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

    # ------------------------------------------------------------------ routing (the Jupyter server's router)

    def routes(self, name: str) -> list[tuple[float, int, str]]:
        """[(weight, port, variant)] of the healthy replicas that take traffic; cached briefly."""
        now = time.monotonic()
        cached = self._routes.get(name)
        if cached and now - cached[0] < ROUTES_TTL_S:
            return cached[1]
        with self.db.session() as session:
            row = self._row(session, name)
            if row.status == schemas.EndpointStatus.DELETING.value:
                raise NotFound(f"name: endpoint {name!r} is being deleted")
            found = session.execute(
                select(orm.EndpointReplica.weight, orm.EndpointReplica.port, orm.EndpointReplica.variant)
                .where(orm.EndpointReplica.endpoint_name == name, orm.EndpointReplica.status == schemas.ReplicaStatus.HEALTHY.value,
                       orm.EndpointReplica.weight > 0)).all()
        table = [(float(w), int(p), v) for w, p, v in found if p]
        self._routes[name] = (now, table)
        return table

    def cached_routes(self, name: str) -> list[tuple[float, int, str]] | None:
        """The routing table if read within ROUTES_TTL_S (no database hit), else None."""
        cached = self._routes.get(name)
        return cached[1] if cached and time.monotonic() - cached[0] < ROUTES_TTL_S else None

    def pick_replicas(self, name: str, table: list[tuple[float, int, str]] | None = None) -> list[tuple[int, str]]:
        """Replicas in the order to try: the first by weight, then the others (for retries)."""
        table = self.routes(name) if table is None else table
        if not table:
            raise ServiceUnavailable(f"endpoint {name!r} has no healthy replica yet; see its status")
        remaining = list(table)
        order = []
        while remaining:
            total = sum(w for w, _p, _v in remaining)
            pick = random.random() * total
            for i, (w, p, v) in enumerate(remaining):
                pick -= w
                if pick <= 0 or i == len(remaining) - 1:
                    order.append((p, v))
                    remaining.pop(i)
                    break
        return order

    def forget_routes(self, name: str) -> None:
        """A replica refused a connection: read the table again on the next request."""
        self._routes.pop(name, None)

    # ------------------------------------------------------------------ invocation audit (aggregated)

    def count_invocation(self, user: str, name: str, status: int) -> bool:
        """Count one routed request; True when a flush is due (call flush_invocations off the loop)."""
        with self._counts_lock:
            counts = self._counts.setdefault((user, name), [0, 0, 0])
            counts[0] += 1
            if 400 <= status < 500:
                counts[1] += 1
            elif status >= 500:
                counts[2] += 1
            return time.monotonic() - self._last_flush >= AUDIT_FLUSH_S

    def flush_invocations(self) -> int:
        """One audit event per (user, endpoint) with the counts since the last flush."""
        with self._counts_lock:
            counts, self._counts = self._counts, {}
            since, self._last_flush = self._last_flush, time.monotonic()
        if self.audit is None:
            return 0
        window = round(time.monotonic() - since, 1)
        for (user, name), (total, c4, c5) in counts.items():
            self.audit.record(user, "InvokeEndpoint", "endpoint", name,
                              schemas.AuditOutcome.SUCCESS if c4 + c5 == 0 else schemas.AuditOutcome.FAILURE,
                              {"invocations": total, "errors_4xx": c4, "errors_5xx": c5, "window_seconds": window})
        return len(counts)

    # ------------------------------------------------------------------ metrics

    def metrics(self, name: str, query: schemas.EndpointMetricsQuery | None = None) -> schemas.EndpointMetrics:
        """The live replicas' totals (their /metrics now) and the history the agent sampled."""
        query = query or schemas.EndpointMetricsQuery()
        described = self.describe_endpoint(name)
        texts, per_variant = [], {}
        for replica in described.replicas:
            if replica.status != schemas.ReplicaStatus.HEALTHY or not replica.port:
                continue
            text = fetch_metrics(replica.port, timeout=2.0)
            if not text:
                continue
            texts.append(text)
            merge_counts(per_variant.setdefault(replica.variant, {}), parse_prometheus(text))
        variants = [variant_metrics(v, agg) for v, agg in sorted(per_variant.items())]
        period, series = self.history(name, query)
        return schemas.EndpointMetrics(name=name, variants=variants, prometheus="".join(texts),
                                       period_seconds=period, series=series)

    def history(self, name: str, query: schemas.EndpointMetricsQuery
                ) -> tuple[float, list[schemas.EndpointMetricSeries]]:
        """Per-period counts and latency quantiles from the agent's samples: the whole endpoint first,
        then each (variant, model version), so a canary's traffic shows beside the version it
        replaces; periods are aligned to the clock and zero-filled."""
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

    # ------------------------------------------------------------------ data capture

    def capture_dir(self, name: str):
        return self.settings.home / "endpoints" / name / "capture"

    def read_capture(self, name: str, query: schemas.EndpointCaptureQuery) -> schemas.EndpointCapture:
        """The newest captured records (files are JSONL, one per replica worker, rotated by size)."""
        import json

        self.describe_endpoint(name)
        folder = self.capture_dir(name)
        files = sorted(folder.glob("*.jsonl"), key=lambda f: f.stat().st_mtime, reverse=True) if folder.is_dir() else []
        records: list[schemas.EndpointCaptureRecord] = []
        for f in files:
            for line in reversed(f.read_text(errors="replace").splitlines()):
                try:
                    data = json.loads(line)
                except ValueError:
                    continue  # a line still being written
                records.append(schemas.EndpointCaptureRecord(time=data.get("time", 0.0), input=data.get("input"),
                                                             output=data.get("output"), file=f.name))
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


def fetch_metrics(port: int, timeout: float = 1.0) -> str:
    """A replica's /metrics text ("" when it does not answer)."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
        return text
    except (OSError, http.client.HTTPException):
        return ""


def parse_prometheus(text: str) -> dict:
    """A replica's studio_invocations_total and latency buckets as {"2xx", "4xx", "5xx", "buckets": {le: n}}."""
    counts: dict = {"buckets": {}}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, _, value = line.rpartition(" ")
        if key.startswith("studio_invocations_total"):
            code = key.split('code="', 1)[1].split('"', 1)[0]
            counts[code] = counts.get(code, 0) + float(value)
        elif key.startswith("studio_invocation_seconds_bucket"):
            le = key.split('le="', 1)[1].split('"', 1)[0]
            counts["buckets"][le] = counts["buckets"].get(le, 0) + float(value)
    return counts


COUNTER_KEYS = ("2xx", "4xx", "5xx")


def merge_counts(agg: dict, counts: dict) -> None:
    """Add one {"2xx", "4xx", "5xx", "buckets": {le: n}} to another."""
    for key in COUNTER_KEYS:
        agg[key] = agg.get(key, 0) + counts.get(key, 0)
    buckets = agg.setdefault("buckets", {})
    for le, n in (counts.get("buckets") or {}).items():
        buckets[le] = buckets.get(le, 0) + n


def counts_since(previous: dict | None, now: dict) -> dict:
    """What a replica counted between two reads of its totals. A total that went down means the
    replica restarted from zero (as Prometheus' rate() reads a reset): then all of `now` is new."""
    if previous is None:
        return now
    keys = [(k, None) for k in COUNTER_KEYS] + [("buckets", le) for le in now.get("buckets", {})]

    def get(d: dict, key: str, le: str | None) -> float:
        return (d.get("buckets") or {}).get(le, 0) if le else d.get(key, 0)

    if any(get(now, k, le) < get(previous, k, le) for k, le in keys):
        return now
    delta = {k: now.get(k, 0) - previous.get(k, 0) for k in COUNTER_KEYS}
    delta["buckets"] = {le: n - (previous.get("buckets") or {}).get(le, 0) for le, n in now.get("buckets", {}).items()}
    return delta


def variant_metrics(variant: str, agg: dict) -> schemas.EndpointVariantMetrics:
    return schemas.EndpointVariantMetrics(variant=variant, **counts_summary(agg))


def counts_summary(agg: dict) -> dict:
    """Requests by outcome and p50/p90/p99 in ms (interpolated in the histogram's buckets, as
    Prometheus' histogram_quantile does) of one {"2xx", "4xx", "5xx", "buckets"}."""
    buckets = sorted(((float("inf") if le == "+Inf" else float(le)), n) for le, n in agg.get("buckets", {}).items())
    total = buckets[-1][1] if buckets else 0

    def quantile(q: float) -> float | None:
        if not total:
            return None
        target, prev_le, prev_n = q * total, 0.0, 0.0
        for le, n in buckets:
            if n >= target:
                if le == float("inf"):
                    return prev_le * 1000
                share = (target - prev_n) / (n - prev_n) if n > prev_n else 1.0
                return (prev_le + (le - prev_le) * share) * 1000
            prev_le, prev_n = le, n
        return prev_le * 1000

    return {"invocations": int(sum(agg.get(c, 0) for c in COUNTER_KEYS)), "errors_4xx": int(agg.get("4xx", 0)),
            "errors_5xx": int(agg.get("5xx", 0)), "latency_p50_ms": quantile(0.5), "latency_p90_ms": quantile(0.9),
            "latency_p99_ms": quantile(0.99)}
