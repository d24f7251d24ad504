"""Schedules (job definitions) through the SDK: cron + timezone + a job template."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..schemas import DescribeJob, DescribeJobDefinition, JobTemplate
from .jobs import Job

if TYPE_CHECKING:
    from .client import Studio

_TEMPLATE_FIELDS = ("parameters", "instance_type", "timeout_seconds", "max_retries", "environment",
                    "tags", "experiment_name", "kind")


class Schedule:
    """A handle on one job definition; description fields (name, schedule, timezone, job, paused,
    next_run_at, ...) are readable directly."""

    def __init__(self, studio: Studio, description: DescribeJobDefinition):
        self._studio = studio
        self._description = description
        self.job_definition_id = description.job_definition_id

    def refresh(self) -> Schedule:
        self._description = self._studio.schedules._describe(self.job_definition_id)
        return self

    def describe(self) -> DescribeJobDefinition:
        return self.refresh()._description

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in DescribeJobDefinition.model_fields:
            raise AttributeError(name)
        return getattr(self._description, name)

    def __repr__(self) -> str:
        d = self._description
        return f"<Schedule {d.job_definition_id} {d.name!r} {d.schedule!r} {'paused' if d.paused else 'active'}>"

    def pause(self) -> Schedule:
        self._studio.schedules.pause(self.job_definition_id)
        return self.refresh()

    def resume(self) -> Schedule:
        self._studio.schedules.resume(self.job_definition_id)
        return self.refresh()

    def update(self, **fields: Any) -> Schedule:
        self._studio.schedules.update(self.job_definition_id, **fields)
        return self.refresh()

    def delete(self) -> None:
        self._studio.schedules.delete(self.job_definition_id)

    def runs(self, max_items: int = 100) -> list[Job]:
        return self._studio.schedules.runs(self.job_definition_id, max_items=max_items)


class SchedulesClient:
    """`studio.schedules`: create, list, get, pause, resume, update, delete, runs."""

    def __init__(self, studio: Studio):
        self._studio = studio

    def _path(self, job_definition_id: str, suffix: str = "") -> str:
        return f"job-definitions/{quote(job_definition_id, safe='')}{suffix}"

    def _describe(self, job_definition_id: str) -> DescribeJobDefinition:
        return DescribeJobDefinition.model_validate(self._studio._http.get(self._path(job_definition_id)))

    def create(self, name: str, schedule: str, *, input: str | os.PathLike,
               parameters: dict[str, Any] | None = None, timezone: str | None = None,
               instance_type: str | None = None, timeout_seconds: int | None = None,
               max_retries: int | None = None, environment: dict[str, str] | None = None,
               tags: dict[str, str] | None = None, experiment_name: str | None = None,
               job_name: str | None = None, kind: str | None = None, paused: bool | None = None,
               max_concurrent_runs: int | None = None,
               missed_run_policy: str | None = None) -> Schedule:
        """Create a schedule that runs `input` at each tick of the cron expression `schedule`
        (5 fields, in `timezone`, default UTC). Job options are those of jobs.run()."""
        template = self._template(input=input, name=job_name, parameters=parameters,
                                  instance_type=instance_type, timeout_seconds=timeout_seconds,
                                  max_retries=max_retries, environment=environment, tags=tags,
                                  experiment_name=experiment_name, kind=kind)
        body: dict[str, Any] = {"name": name, "schedule": schedule, "job": template}
        optional = {"timezone": timezone, "paused": paused, "max_concurrent_runs": max_concurrent_runs,
                    "missed_run_policy": missed_run_policy}
        body.update({k: v for k, v in optional.items() if v is not None})
        job_definition_id = self._studio._http.post("job-definitions", body)["job_definition_id"]
        return self.get(job_definition_id)

    def _template(self, input: str | os.PathLike, name: str | None = None, **fields: Any) -> dict:
        template: dict[str, Any] = {"input": self._studio.server_path(input)}
        if name is not None:
            template["name"] = name
        template.update({k: v for k, v in fields.items() if v is not None})
        return template

    def get(self, job_definition_id: str) -> Schedule:
        return Schedule(self._studio, self._describe(job_definition_id))

    def iter(self, *, name: str | None = None, paused: bool | None = None,
             sort_by: str | None = None, page_size: int = 100) -> Iterator[Schedule]:
        token = None
        while True:
            data = self._studio._http.get("job-definitions", name=name, paused=paused,
                                          sort_by=sort_by, max_items=page_size, next_token=token)
            for item in data.get("items", []):
                yield Schedule(self._studio, DescribeJobDefinition.model_validate(item))
            token = data.get("next_token")
            if not token:
                return

    def list(self, *, name: str | None = None, paused: bool | None = None,
             sort_by: str | None = None, max_items: int = 100) -> list[Schedule]:
        items = []
        for item in self.iter(name=name, paused=paused, sort_by=sort_by, page_size=min(max_items, 1000)):
            items.append(item)
            if len(items) >= max_items:
                break
        return items

    def update(self, job_definition_id: str, *, name: str | None = None, schedule: str | None = None,
               timezone: str | None = None, paused: bool | None = None,
               max_concurrent_runs: int | None = None, missed_run_policy: str | None = None,
               input: str | os.PathLike | None = None, job: dict | JobTemplate | None = None,
               **template_fields: Any) -> None:
        """Change only the given fields. Job options (input, parameters, instance_type, ...) are
        merged into the current job template; `job=` replaces it whole."""
        unknown = set(template_fields) - set(_TEMPLATE_FIELDS) - {"job_name"}
        if unknown:
            raise TypeError(f"update() got unexpected fields: {', '.join(sorted(unknown))}")
        body: dict[str, Any] = {k: v for k, v in {
            "name": name, "schedule": schedule, "timezone": timezone, "paused": paused,
            "max_concurrent_runs": max_concurrent_runs, "missed_run_policy": missed_run_policy,
        }.items() if v is not None}
        if job is not None:
            body["job"] = job.model_dump(mode="json", exclude_none=True) if isinstance(job, JobTemplate) else job
        elif input is not None or any(v is not None for v in template_fields.values()):
            current = self._describe(job_definition_id).job.model_dump(mode="json", exclude_none=True)
            if input is not None:
                current["input"] = self._studio.server_path(input)
            if template_fields.get("job_name") is not None:
                current["name"] = template_fields.pop("job_name")
            template_fields.pop("job_name", None)
            current.update({k: v for k, v in template_fields.items() if v is not None})
            body["job"] = current
        self._studio._http.patch(self._path(job_definition_id), body)

    def pause(self, job_definition_id: str) -> None:
        self._studio._http.patch(self._path(job_definition_id), {"paused": True})

    def resume(self, job_definition_id: str) -> None:
        self._studio._http.patch(self._path(job_definition_id), {"paused": False})

    def delete(self, job_definition_id: str) -> None:
        self._studio._http.delete(self._path(job_definition_id))

    def runs(self, job_definition_id: str, max_items: int = 100) -> list[Job]:
        """The jobs this schedule created, newest first."""
        jobs: list[Job] = []
        token = None
        while len(jobs) < max_items:
            data = self._studio._http.get(self._path(job_definition_id, "/jobs"),
                                          max_items=min(max_items, 1000), next_token=token)
            for item in data.get("items", []):
                description = DescribeJob.model_validate(item)
                jobs.append(Job(self._studio, description.job_id, description))
            token = data.get("next_token")
            if not token:
                break
        return jobs[:max_items]
