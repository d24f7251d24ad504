"""Trials as the service and the reconciler both see them: a trial's job, which parents' trials a
warm start replays, the best trial and the trials' order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from .. import schemas
from ..schemas.tuning import TrialStatus, WarmStartType
from . import space


def trial_job(template: schemas.CreateJob, values: dict[str, Any], **update: Any) -> schemas.CreateJob:
    """The job of one trial: the template with the trial's values as an algorithm's
    hyperparameters, or a script's or notebook's parameters."""
    if template.algorithm is not None:
        update["hyperparameters"] = {**template.hyperparameters, **values}
    else:
        update["parameters"] = {**template.parameters, **values}
    return template.model_copy(update=update)


def warm_fits(parameters: dict[str, Any], request: schemas.CreateTuningJob) -> bool:
    """Whether a parent's trial can be replayed into this search: its values lie in this job's
    ranges (all of them for an identical warm start, at least one for transfer learning)."""
    ranges = request.parameter_ranges
    inside = [name for name in ranges if name in parameters and space.contains(ranges[name], parameters[name])]
    outside = [name for name in parameters if name in ranges and name not in inside]
    if outside:
        return False
    if request.warm_start is not None and request.warm_start.type == WarmStartType.TRANSFER:
        return bool(inside)
    return len(inside) == len(ranges)


class Scored(Protocol):
    """A trial as the API shows it (schemas.TuningTrial) or as the search sees it (TrialRecord)."""

    status: TrialStatus
    objective: float | None

    @property
    def trial_number(self) -> int: ...


TrialT = TypeVar("TrialT", bound=Scored)


def best_trial(trials: Sequence[TrialT], maximize: bool) -> TrialT | None:
    """The best completed trial (what the description shows and the tuning job's run records)."""
    done = [t for t in trials if t.status == TrialStatus.COMPLETED and t.objective is not None]
    if not done:
        return None
    return (max if maximize else min)(done, key=lambda t: (t.objective, -t.trial_number))


def sort_trials(trials: list[schemas.TuningTrial], sort_by: str,
                maximize: bool) -> list[schemas.TuningTrial]:
    descending = sort_by.startswith("-")
    key = sort_by.lstrip("-")
    if key == "objective":  # the best first; trials without a value last either way
        scored = [t for t in trials if t.objective is not None]
        scored.sort(key=lambda t: t.objective or 0.0, reverse=maximize != descending)
        return scored + [t for t in trials if t.objective is None]
    return sorted(trials, key=lambda t: (str(getattr(t, key)) if key == "status" else getattr(t, key)),
                  reverse=descending)
