"""`studio.transforms`: batch transform jobs, which score files with a registered model."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..schemas import DescribeTransformJob
from .errors import TransformFailed, WaitTimeout

if TYPE_CHECKING:
    from .client import Studio


class TransformJob:
    """A handle on one transform job: `.describe()`, `.wait()`, `.delete()`."""

    def __init__(self, studio: Studio, transform_job_id: str):
        self._studio = studio
        self.transform_job_id = transform_job_id

    def __repr__(self) -> str:
        return f"<TransformJob {self.transform_job_id}>"

    def describe(self) -> DescribeTransformJob:
        return self._studio.transforms.get(self.transform_job_id)

    def wait(self, timeout: float | None = None, poll: float = 1.0, raise_on_failure: bool = True,
             on_update: Callable[[DescribeTransformJob], None] | None = None) -> DescribeTransformJob:
        """Until Completed or Failed; raises TransformFailed with the bad row's location, WaitTimeout
        after `timeout` seconds (the transform keeps running). `on_update` gets each description."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            described = self.describe()
            if on_update is not None:
                on_update(described)
            if described.status.is_terminal:
                break
            if deadline is not None and time.monotonic() >= deadline:
                raise WaitTimeout(f"transform job {self.transform_job_id} is still {described.status.value} "
                                  f"after {timeout:g} s")
            time.sleep(poll)
        if raise_on_failure and described.status.value != "Completed":
            raise TransformFailed(f"transform job {self.transform_job_id} {described.status.value.lower()}: "
                                  f"{described.status_reason or 'no reason given'}", described)
        return described

    def delete(self) -> None:
        self._studio.transforms.delete(self.transform_job_id)


class TransformJobsClient:
    """Create, follow, list and delete batch transform jobs."""

    def __init__(self, studio: Studio):
        self._studio = studio

    def create(self, model: str, input: str, output: str | None = None, *, format: str | None = None,
               join_input: bool = False, instance_type: str = "local.medium", chunk_mib: float = 8.0) -> TransformJob:
        """Score `input` (a CSV, JSON Lines or Parquet file, or a folder of them, under the server
        root) with `model` (models:/<name>/<version> or models:/<name>@<alias>); outputs land in
        `output` (default transform-output/<id>), one `<stem>.out.<ext>` per input file."""
        body: dict[str, Any] = {"model": model, "input": self._studio.server_path(input),
                                "join_input": join_input, "instance_type": instance_type, "chunk_mib": chunk_mib}
        if output is not None:
            body["output"] = self._studio.server_path(output)
        if format is not None:
            body["format"] = format
        described = DescribeTransformJob.model_validate(self._studio._http.post("transform-jobs", body))
        return TransformJob(self._studio, described.transform_job_id)

    def get(self, transform_job_id: str) -> DescribeTransformJob:
        return DescribeTransformJob.model_validate(
            self._studio._http.get(f"transform-jobs/{quote(transform_job_id, safe='')}"))

    def job(self, transform_job_id: str) -> TransformJob:
        return TransformJob(self._studio, transform_job_id)

    def list(self) -> list[DescribeTransformJob]:
        return [DescribeTransformJob.model_validate(item)
                for item in self._studio._http.get("transform-jobs")["items"]]

    def delete(self, transform_job_id: str) -> None:
        """Stops it if it runs and forgets it; the output files stay."""
        self._studio._http.delete(f"transform-jobs/{quote(transform_job_id, safe='')}")
