"""The endpoint reconciler: each endpoint's replicas and traffic toward its desired state.

Each pass: claim endpoints (one agent owns an endpoint; a dead agent's endpoints are adopted),
sample the replicas' metrics (sampling.py), start missing replicas and check the others
(replicas.py), shift traffic for updates with rollback, follow aliases (rollouts.py), and stop
everything of a deleted endpoint.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, select, update

from ...credentials import replica_token
from ...schemas import EndpointStatus, ReplicaStatus
from ...settings import StudioSettings
from ...store import orm
from ...store.db import Database, rowcount
from .base import AgentAlive, BaseReconciler
from .replicas import MAX_START_FAILURES, Replicas
from .rollouts import Rollouts
from .sampling import MetricSampler

log = logging.getLogger("studio_ext.agent")


class EndpointReconciler(BaseReconciler):
    """Replica processes of every endpoint this agent owns, toward the endpoint's desired state."""

    def __init__(self, db: Database, settings: StudioSettings, agent_id: str, agent_alive: AgentAlive):
        super().__init__(db, settings, agent_id, agent_alive)
        self.sampler = MetricSampler(db, replica_token(settings.home))
        self.replicas = Replicas(db, settings, self.mlflow_client, self.sampler)
        self.rollouts = Rollouts(db, self.replicas, self.mlflow_client)

    @property
    def last_sample(self) -> dict[str, float]:
        """Endpoint -> when its replicas were last sampled (drop an entry to sample on the next pass)."""
        return self.sampler.last_sample

    @property
    def last_alias_check(self) -> dict[str, float]:
        """Endpoint -> when its aliases were last resolved (clear it to check on the next pass)."""
        return self.rollouts.last_alias_check

    def reconcile(self) -> None:
        self.replicas.children.reap()
        with self.db.session() as session:
            names = session.execute(select(orm.Endpoint.name, orm.Endpoint.agent_id)).all()
        for name, owner in names:
            if owner != self.agent_id:
                if owner is not None and self.agent_alive(owner):
                    continue
                with self.db.session() as session:
                    claimed = rowcount(session.execute(update(orm.Endpoint).where(
                        orm.Endpoint.name == name, orm.Endpoint.agent_id.is_(owner) if owner is None
                        else orm.Endpoint.agent_id == owner).values(agent_id=self.agent_id)))
                if claimed != 1:
                    continue
                log.info("endpoint %s: reconciled by this agent now", name)
            try:
                self.reconcile_endpoint(name)
            except Exception:  # one endpoint's trouble must not stop the others
                log.exception("endpoint %s: reconcile failed", name)
        self.sampler.prune_if_due()

    def reconcile_endpoint(self, name: str) -> None:
        with self.db.session() as session:
            ep = session.get(orm.Endpoint, name)
            if ep is None:
                return
            session.expunge(ep)
            replicas = list(session.scalars(select(orm.EndpointReplica)
                                            .where(orm.EndpointReplica.endpoint_name == name)).all())
            for r in replicas:
                session.expunge(r)
        if ep.status == EndpointStatus.DELETING:
            self._delete(ep, replicas)
            return
        self.sampler.sample(ep.name, replicas)
        generation = ep.generation
        current = [r for r in replicas if r.generation == ep.generation]
        old = [r for r in replicas if r.generation != ep.generation]
        if ep.status == EndpointStatus.FAILED:
            for r in current:
                if r.status != ReplicaStatus.STOPPING:
                    self.replicas.stop(r)
            return
        variants = {v["name"]: v for v in ep.config.get("variants", [])}
        # 1. the right number of replicas per variant, each checked
        for vname, variant in variants.items():
            have = [r for r in current if r.variant == vname and r.status != ReplicaStatus.STOPPING]
            for _ in range(variant["instance_count"] - len(have)):
                current.append(self.replicas.new(ep, variant))
            for extra in have[variant["instance_count"]:]:
                self.replicas.stop(extra)
        for r in list(current):
            if r.variant not in variants:
                self.replicas.stop(r)
                continue
            self.replicas.check(ep, r)
        current = [r for r in current if r.variant in variants and r.status != ReplicaStatus.STOPPING]
        # 2. a variant that cannot start
        broken = [r for r in current if r.failures >= MAX_START_FAILURES]
        if broken:
            reason = f"variant {broken[0].variant}: replica could not start: {broken[0].last_error or 'unknown'}"
            if ep.status == EndpointStatus.UPDATING and ep.previous_config:
                self.rollouts.rollback(ep, current, old, reason)
            else:
                self.rollouts.set_status(ep, EndpointStatus.FAILED, reason[:2000])
                for r in current:
                    self.replicas.stop(r)
            return
        if ep.status == EndpointStatus.UPDATING and ep.rollback_requested_at is not None:
            self.rollouts.rollback(ep, current, old, f"rollback requested by {ep.rollback_requested_by or 'a user'}")
            return
        ready = bool(current) and all(r.status == ReplicaStatus.HEALTHY for r in current)
        # 3. traffic
        if ep.status == EndpointStatus.CREATING:
            if ready:
                self.rollouts.set_weights(ep, current, 1.0)
                self.rollouts.set_status(ep, EndpointStatus.IN_SERVICE, None)
        elif ep.status == EndpointStatus.UPDATING:
            if ready:
                self._advance_update(ep, current, old)
        elif ep.status == EndpointStatus.IN_SERVICE:
            self.rollouts.set_weights(ep, current, 1.0, only_if_changed=True)
            self.rollouts.follow_aliases(ep, current)
        # 4. old generations drain, then stop (not in the pass that just rolled back to them)
        if ep.status != EndpointStatus.UPDATING and ep.generation == generation:
            for r in old:
                self.replicas.drain_then_stop(r)

    def _advance_update(self, ep: orm.Endpoint, new: list, old: list) -> None:
        """The step of a pass that moves an update's traffic, once its new replicas are healthy:
        its own method so that the pass has one seam between reading the endpoint and writing the
        end of its update (where a rollback request can land; tests interpose there)."""
        self.rollouts.advance(ep, new, old)

    def _delete(self, ep: orm.Endpoint, replicas: list) -> None:
        for r in replicas:
            self.replicas.stop(r, keep_history=False)  # the history goes with the endpoint
        with self.db.session() as session:
            gone = rowcount(session.execute(delete(orm.Endpoint).where(
                orm.Endpoint.name == ep.name, orm.Endpoint.status == EndpointStatus.DELETING.value)))
            if gone:  # a new endpoint of the same name starts with no history
                session.execute(delete(orm.EndpointMetricSample).where(
                    orm.EndpointMetricSample.endpoint_name == ep.name))
        log.info("endpoint %s: deleted", ep.name)
