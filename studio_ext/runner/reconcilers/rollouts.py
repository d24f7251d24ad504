"""Traffic over an endpoint's replicas: weights by variant, updates (all at once, canary, linear),
rollbacks (asked for, or on a new variant's error rate over the threshold) and moved aliases."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import update

from ...model_uris import parse_model_uri, resolve_model
from ...schemas import EndpointStatus, ReplicaStatus
from ...serving.metrics import COUNTER_KEYS, fetch_metrics, merge_counts, parse_prometheus
from ...store import orm
from ...store.db import Database, rowcount
from .replicas import Replicas

log = logging.getLogger("studio_ext.agent")

ALIAS_CHECK_S = 5.0


class Rollouts:
    """Endpoint-level transitions of the endpoint reconciler. Methods take the (detached) endpoint
    row and replica rows a pass read, and write every change to them and to the database.

    Args:
        mlflow_client: () -> MlflowClient, to see where an alias points now.
    """

    def __init__(self, db: Database, replicas: Replicas, mlflow_client: Callable[[], Any]):
        self.db = db
        self.replicas = replicas
        self.mlflow_client = mlflow_client
        self.last_alias_check: dict[str, float] = {}

    def set_status(self, ep: orm.Endpoint, status: EndpointStatus, reason: str | None,
                   unless_rollback_requested: bool = False, **values: Any) -> bool:
        """Write the endpoint's status; with `unless_rollback_requested`, only if no rollback request
        arrived since this pass read the row (False then, and nothing is written)."""
        query = update(orm.Endpoint).where(orm.Endpoint.name == ep.name)
        if unless_rollback_requested:
            query = query.where(orm.Endpoint.rollback_requested_at.is_(None))
        with self.db.session() as session:
            if rowcount(session.execute(query.values(status=status.value, status_reason=reason, **values))) != 1:
                return False
        if ep.status != status.value or ep.status_reason != reason or values:
            log.info("endpoint %s: %s%s", ep.name, status.value, f" ({reason})" if reason else "")
        ep.status, ep.status_reason = status.value, reason
        for key, value in values.items():
            setattr(ep, key, value)
        return True

    def set_weights(self, ep: orm.Endpoint, replicas: list, share: float, only_if_changed: bool = False) -> None:
        """Spread `share` of the traffic over `replicas` by their variant weights."""
        variants = {v["name"]: v for v in ep.config.get("variants", [])}
        total = sum(v["weight"] for v in variants.values()) or 1.0
        counts: dict[str, int] = {}
        for r in replicas:
            counts[r.variant] = counts.get(r.variant, 0) + 1
        for r in replicas:
            weight = share * variants[r.variant]["weight"] / total / counts[r.variant]
            if not only_if_changed or abs(r.weight - weight) > 1e-9:
                self.replicas.update(r, weight=weight)

    def advance(self, ep: orm.Endpoint, new: list, old: list) -> None:
        """An update whose new replicas are all healthy: the next traffic share for them (rolling
        back when their error rate passes the threshold); at 100 % the update is done and the old
        generation drains."""
        dep = dict(ep.deployment or {})
        kind = dep.get("type", "all_at_once")
        now = time.time()
        if kind != "all_at_once" and self._error_rate(new, dep) > dep.get("error_rate_threshold", 0.05):
            self.rollback(ep, new, old, f"the new variants' error rate passed "
                                        f"{dep.get('error_rate_threshold', 0.05):.0%}")
            return
        if kind == "all_at_once":
            share = 1.0
        else:
            if "shift_started_at" not in dep:
                dep["shift_started_at"] = now
                dep["baseline"] = self._counts(new)
            elapsed = now - dep["shift_started_at"]
            if kind == "canary":
                share = 1.0 if elapsed >= dep.get("baking_seconds", 60) else dep.get("canary_percent", 10) / 100
            else:
                steps = int(elapsed // max(dep.get("step_seconds", 30), 0.001)) + 1
                share = min(1.0, steps * dep.get("step_percent", 25) / 100)
        dep["share"] = share
        self.set_weights(ep, new, share, only_if_changed=True)
        self._set_weights_old(ep, old, 1.0 - share)
        if share >= 1.0:
            if not self.set_status(ep, EndpointStatus.IN_SERVICE, None, deployment={**dep, "completed_at": now},
                                   unless_rollback_requested=True):
                return  # a rollback was asked for meanwhile: the next pass does it
            for r in old:
                self.replicas.drain_then_stop(r)
        else:
            with self.db.session() as session:
                session.execute(update(orm.Endpoint).where(orm.Endpoint.name == ep.name).values(deployment=dep))
            ep.deployment = dep

    def _set_weights_old(self, ep: orm.Endpoint, old: list, share: float) -> None:
        serving = [r for r in old if r.status == ReplicaStatus.HEALTHY]
        prev = {v["name"]: v for v in (ep.previous_config or {}).get("variants", [])}
        total = sum(prev.get(r.variant, {"weight": 1.0})["weight"] for r in serving) or 1.0
        for r in serving:
            weight = share * prev.get(r.variant, {"weight": 1.0})["weight"] / total
            if abs(r.weight - weight) > 1e-9:
                self.replicas.update(r, weight=weight)

    def _counts(self, replicas: list) -> dict:
        agg: dict = {}
        for r in replicas:
            if r.status == ReplicaStatus.HEALTHY and r.port:
                merge_counts(agg, parse_prometheus(fetch_metrics(r.port, self.replicas.token)))
        return {"total": sum(agg.get(c, 0) for c in COUNTER_KEYS), "5xx": agg.get("5xx", 0)}

    def _error_rate(self, new: list, dep: dict) -> float:
        if "baseline" not in dep:
            return 0.0
        now = self._counts(new)
        total = now["total"] - dep["baseline"]["total"]
        return (now["5xx"] - dep["baseline"]["5xx"]) / total if total >= 5 else 0.0

    def rollback(self, ep: orm.Endpoint, new: list, old: list, reason: str) -> None:
        """Back to the previous configuration: its replicas (still running) take all traffic again."""
        log.warning("endpoint %s: rolling back generation %s: %s", ep.name, ep.generation, reason)
        old_generation = max((r.generation for r in old), default=ep.generation - 1)
        self._set_weights_old(ep, old, 1.0)
        for r in new:
            self.replicas.stop(r)
        self.set_status(ep, EndpointStatus.IN_SERVICE, f"update rolled back: {reason}"[:2000],
                        config=ep.previous_config, previous_config=None, generation=old_generation,
                        rollback_requested_at=None, rollback_requested_by=None,
                        deployment={**(ep.deployment or {}), "rolled_back_at": time.time(), "reason": reason})

    def follow_aliases(self, ep: orm.Endpoint, current: list) -> None:
        """An alias that moved starts an all-at-once update to the version it points at now."""
        if not any("@" in v["model"] for v in ep.config.get("variants", [])):
            return
        now = time.monotonic()
        if now - self.last_alias_check.get(ep.name, 0) < ALIAS_CHECK_S:
            return
        self.last_alias_check[ep.name] = now
        for r in current:
            if "@" not in r.model_uri:
                continue
            try:
                version, _uri = resolve_model(self.mlflow_client(), r.model_uri)
            except Exception:
                continue  # an alias deleted meanwhile: keep serving what runs
            if version != r.model_version:
                log.info("endpoint %s: %s moved to version %s; updating", ep.name, r.model_uri, version)
                with self.db.session() as session:
                    session.execute(update(orm.Endpoint).where(orm.Endpoint.name == ep.name).values(
                        previous_config=pinned_config(ep.config, current), generation=ep.generation + 1,
                        status=EndpointStatus.UPDATING.value,
                        status_reason=f"{r.model_uri} moved to version {version}",
                        deployment={"type": "all_at_once", "started_at": time.time(), "by": "alias",
                                    "rollback": False}))
                return


def pinned_config(config: dict, replicas: list) -> dict:
    """`config` with each alias replaced by the version its replicas serve: rolling back after an
    alias moved returns to that version (and stops following the alias until the next update)."""
    served = {r.variant: r.model_version for r in replicas if r.model_version}
    variants = []
    for v in config.get("variants", []):
        if "@" in v["model"] and served.get(v["name"]):
            name, _version, _alias = parse_model_uri(v["model"])
            v = {**v, "model": f"models:/{name}/{served[v['name']]}"}
        variants.append(v)
    return {**config, "variants": variants}
