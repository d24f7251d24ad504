"""`studio.tuning`: hyperparameter tuning jobs, many trial jobs over a search space, the best one kept."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..schemas import CreateJob, CreateTuningJob, DescribeTuningJob, JobStatus, TuningTrial
from . import widgets
from .errors import TuningFailed, WaitTimeout

if TYPE_CHECKING:
    import pandas

    from .client import Studio

TRIAL_COLUMNS = ("trial_number", "status", "objective")  # then one column per parameter
TRIAL_LINKS = ("job_id", "mlflow_run_id", "model_uri")
BAR_WIDTH = 24


def _q(text: str) -> str:
    return quote(str(text), safe="")


class TuningJob:
    """A handle on one tuning job. Attributes of its description (name, strategy, counts,
    best_trial, parameter_importances, mlflow_parent_run_id, ...) are readable directly; `status`,
    `best` and `trials` fetch the latest state while it runs."""

    def __init__(self, studio: Studio, tuning_job_id: str, description: DescribeTuningJob | None = None):
        self._studio = studio
        self.tuning_job_id = tuning_job_id
        self._description = description

    # ----------------------------------------------------------------- state

    def refresh(self, sort_by: str = "trial_number") -> TuningJob:
        """Fetch the latest description, with its trials sorted by `sort_by` (trial_number,
        objective: the best first, status, created_at; '-' for descending); returns self."""
        data = self._studio._http.get(f"tuning-jobs/{_q(self.tuning_job_id)}", sort_by=sort_by)
        self._description = DescribeTuningJob.model_validate(data)
        return self

    def describe(self, sort_by: str = "trial_number") -> DescribeTuningJob:
        """The full, fresh description (schemas.DescribeTuningJob), trials included."""
        return self.refresh(sort_by)._description  # type: ignore[return-value]

    @property
    def status(self) -> JobStatus:
        """The current status (asks the server each time)."""
        return self.describe().status

    @property
    def best(self) -> TuningTrial | None:
        """The best completed trial (parameters, objective, job_id, mlflow_run_id, model_uri), or None."""
        return self._latest().best_trial

    @property
    def trials(self) -> pandas.DataFrame:
        """One row per trial, in the order they started: trial_number, status, objective, one column
        per tuned parameter, job_id, mlflow_run_id, model_uri."""
        return trials_frame(self._latest())

    def _latest(self) -> DescribeTuningJob:
        # An ended tuning job no longer changes: reuse what we have (when it has its trials).
        d = self._description
        if d is None or not d.status.is_terminal or d.trials is None:
            return self.describe()
        return d

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not defined here: delegate to the description.
        if name.startswith("_") or name not in DescribeTuningJob.model_fields:
            raise AttributeError(name)
        return getattr(self._latest(), name)

    def __repr__(self) -> str:
        status = self._description.status.value if self._description else "?"
        return f"<TuningJob {self.tuning_job_id} {status}>"

    def _repr_html_(self) -> str:
        return widgets.tuning_html(self._latest())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TuningJob) and other.tuning_job_id == self.tuning_job_id

    def __hash__(self) -> int:
        return hash(self.tuning_job_id)

    # ----------------------------------------------------------------- waiting

    def wait(self, timeout: float | None = None, show_progress: bool = True, poll: float = 1.0,
             raise_on_failure: bool = True,
             on_update: Callable[[DescribeTuningJob], None] | None = None) -> DescribeTuningJob:
        """Block until the tuning job is Completed, Failed or Stopped; returns its final description.

        Args:
            timeout: seconds to wait at most (None: forever); WaitTimeout after that, the search
                keeps running.
            show_progress: a bar over the trials ended out of max_trials with the best objective
                so far: an ipywidgets bar in a notebook, a text bar in a terminal.
            poll: seconds between status checks.
            raise_on_failure: raise TuningFailed (with the reason, e.g. the first trials' error)
                when it ends Failed. A Stopped tuning job (stopped by someone) is returned: its
                completed trials and best trial stand.
            on_update: called with each fresh description (what the CLI's progress bar uses).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        bar: Any = None
        if show_progress:
            bar = widgets.TuningProgressBar() if widgets.in_notebook() else TextProgress(sys.stdout)
        while True:
            described = self.describe()
            if on_update is not None:
                on_update(described)
            if bar is not None:
                bar.update(described)
            if described.status.is_terminal:
                break
            if deadline is not None and time.monotonic() >= deadline:
                if bar is not None:
                    bar.close()
                raise WaitTimeout(f"tuning job {self.tuning_job_id} is still {described.status.value} after "
                                  f"{timeout:g} s ({trials_ended(described)}/{described.max_trials} trials ended)")
            time.sleep(poll if deadline is None else max(0.0, min(poll, deadline - time.monotonic())))
        if bar is not None:
            bar.close()
        if raise_on_failure and described.status is JobStatus.FAILED:
            raise TuningFailed(f"tuning job {self.tuning_job_id} ({described.name}) failed: "
                               f"{described.status_reason or 'no reason given'}", described)
        return described

    # ----------------------------------------------------------------- actions

    def stop(self) -> TuningJob:
        """Start no more trials and stop the running ones; it ends Stopped once they ended."""
        self._studio._http.post(f"tuning-jobs/{_q(self.tuning_job_id)}/stop")
        return self


class TuningJobs(list[TuningJob]):
    """Tuning jobs; in a notebook, one row each."""

    def _repr_html_(self) -> str:
        return widgets.tuning_list_html([t._description for t in self if t._description is not None])


class TuningClient:
    """`studio.tuning.create(name=..., objective=..., parameter_ranges=..., training_job=...)`, `.get`, `.list`."""

    def __init__(self, studio: Studio):
        self._studio = studio

    def create(self, request: CreateTuningJob | Mapping[str, Any] | None = None, /, *, name: str | None = None,
               objective: str | Mapping[str, Any] | Any = None,
               parameter_ranges: Mapping[str, Any] | None = None,
               training_job: CreateJob | Mapping[str, Any] | str | os.PathLike | None = None,
               strategy: str | None = None, max_trials: int | None = None, max_parallel_trials: int | None = None,
               max_runtime_seconds: int | None = None, early_stopping: str | None = None,
               warm_start: Mapping[str, Any] | Any = None, seed: int | None = None,
               wait: bool = False, show_progress: bool = True) -> TuningJob:
        """Start a tuning job (POST tuning-jobs); every field is checked by the server, and a bad
        one is an InvalidParameter naming it (NotFound for a missing input, channel or parent).

        Args:
            request: a whole request (CreateTuningJob or its dict); the keyword arguments given
                override its fields.
            objective: the metric's name ('validation:roc_auc': an algorithm knows its direction),
                or {"metric", "type": "Maximize"|"Minimize", "aggregation": "Last"|"Best"}.
            parameter_ranges: name -> {"type": "Integer"|"Continuous", "min", "max", "scaling"}
                or {"type": "Categorical", "values": [...]}.
            training_job: the job each trial runs with its values: a dict like POST jobs's body
                ({"algorithm", "channels", "hyperparameters"} or {"input", "parameters"}), or the
                path of a script or notebook. Paths are taken as `studio.jobs.run` takes them.
            warm_start: {"parents": [tuning job ids or TuningJob handles], "type":
                "IdenticalDataAndAlgorithm"|"TransferLearning"}.
            wait: return once it ended (TuningFailed if it failed), showing progress.
        """
        if isinstance(request, CreateTuningJob):
            body: dict[str, Any] = request.model_dump(mode="json", exclude_none=True)
        else:
            body = dict(request or {})
        given = {"name": name, "objective": objective, "parameter_ranges": parameter_ranges,
                 "training_job": training_job, "strategy": strategy, "max_trials": max_trials,
                 "max_parallel_trials": max_parallel_trials, "max_runtime_seconds": max_runtime_seconds,
                 "early_stopping": early_stopping, "warm_start": warm_start, "seed": seed}
        body.update({k: _plain(v) for k, v in given.items() if v is not None})
        if isinstance(body.get("objective"), str):
            body["objective"] = {"metric": body["objective"]}
        if "training_job" in body:
            body["training_job"] = self._template(body["training_job"])
        if isinstance(body.get("warm_start"), dict):
            parents = body["warm_start"].get("parents")
            if isinstance(parents, list):
                body["warm_start"] = {**body["warm_start"], "parents": [
                    p.tuning_job_id if isinstance(p, TuningJob) else p for p in parents]}
        described = DescribeTuningJob.model_validate(self._studio._http.post("tuning-jobs", body))
        job = TuningJob(self._studio, described.tuning_job_id, described)
        if wait:
            job.wait(show_progress=show_progress)
        return job

    def _template(self, template: Any) -> Any:
        """The trial template with its paths as the server wants them (relative to its root)."""
        if isinstance(template, str | os.PathLike):
            return {"input": self._studio.server_path(template)}
        if not isinstance(template, dict):
            return template  # the server says what is wrong with it
        out = dict(template)
        if isinstance(out.get("input"), str):
            out["input"] = self._studio.server_path(out["input"])
        if isinstance(out.get("channels"), dict):
            out["channels"] = {k: ({**v, "path": self._studio.server_path(v["path"])}
                                   if isinstance(v, dict) and isinstance(v.get("path"), str)
                                   else self._studio.server_path(v) if isinstance(v, str) else v)
                               for k, v in out["channels"].items()}
        return out

    def get(self, tuning_job_id: str) -> TuningJob:
        """The tuning job with this id (NotFound if there is none)."""
        return TuningJob(self._studio, tuning_job_id).refresh()

    def list(self) -> TuningJobs:
        """The tuning jobs, newest first (their descriptions without the trials)."""
        data = self._studio._http.get("tuning-jobs")
        return TuningJobs(TuningJob(self._studio, d.tuning_job_id, d)
                          for d in (DescribeTuningJob.model_validate(item) for item in data["items"]))


def _plain(value: Any) -> Any:
    """Pydantic models among the keyword arguments as the JSON the server takes."""
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def trials_ended(d: DescribeTuningJob) -> int:
    """Trials that ended (completed, failed, pruned or stopped): what the progress bars count."""
    return d.counts.total - d.counts.running


def best_text(d: DescribeTuningJob) -> str:
    """'best 0.9812 (trial 3)', or '' before a trial completed."""
    best = d.best_trial
    if best is None or best.objective is None:
        return ""
    return f"best {best.objective:.6g} (trial {best.trial_number})"


def trials_frame(d: DescribeTuningJob) -> pandas.DataFrame:
    """The trials of a description as a DataFrame, one column per tuned parameter."""
    import pandas

    names = list(d.parameter_ranges)
    rows = []
    for t in sorted(d.trials or [], key=lambda t: t.trial_number):
        rows.append({"trial_number": t.trial_number, "status": t.status.value, "objective": t.objective,
                     **{n: t.parameters.get(n) for n in names},
                     "job_id": t.job_id, "mlflow_run_id": t.mlflow_run_id, "model_uri": t.model_uri})
    return pandas.DataFrame(rows, columns=[*TRIAL_COLUMNS, *names, *TRIAL_LINKS])


class TextProgress:
    """The terminal's progress bar: redrawn in place on a terminal, a new line per change elsewhere
    (a log file or a captured stream keeps one readable line per step)."""

    def __init__(self, stream: Any):
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.last = ""

    def update(self, d: DescribeTuningJob) -> None:
        line = self.line(d)
        if self.tty:
            self.stream.write("\r" + line + " " * max(0, len(self.last) - len(line)))
        elif line != self.last:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.last = line

    def line(self, d: DescribeTuningJob) -> str:
        ended, total = trials_ended(d), max(d.max_trials, 1)
        filled = round(BAR_WIDTH * min(ended, total) / total)
        parts = [f"[{d.tuning_job_id}] [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {ended}/{d.max_trials} trials",
                 d.status.value]
        if d.counts.running and not d.status.is_terminal:
            parts.append(f"{d.counts.running} running")
        if best_text(d):
            parts.append(best_text(d))
        if d.status.is_terminal and d.status_reason:
            parts.append(d.status_reason)
        return " | ".join(parts)

    def close(self) -> None:
        if self.tty and self.last:
            self.stream.write("\n")
            self.stream.flush()
