"""A tuning job's search: Optuna's proposals and pruning decisions, from the trials so far.

Nothing here keeps state between calls: each call rebuilds an in-memory study from the trial
records it is given (warm-start parents' trials first, then this job's in trial order), which takes
milliseconds for hundreds of trials. The sampler's seed moves with the number of trials, so a
rebuilt search proposes what a long-lived one would not repeat, and the same records always give
the same proposal.
"""

from __future__ import annotations

import itertools
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..schemas.tuning import EarlyStopping, ObjectiveType, ParameterRange, Strategy, TrialStatus
from . import space


@dataclass
class TrialRecord:
    """A trial as the search sees it: its values, and what came of them so far."""

    number: int
    status: TrialStatus
    parameters: dict[str, Any]
    objective: float | None = None
    intermediate: dict[int, float] = field(default_factory=dict)
    reason: str | None = None

    @property
    def trial_number(self) -> int:  # the API's name (tuning/trials.best_trial reads either)
        return self.number


def _quiet_optuna() -> Any:
    import warnings

    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    # multivariate TPE and create_trial are marked experimental; the studio relies on them knowingly
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


class Search:
    """Args:
        name: the study's name (the tuning job id: Hyperband's brackets hash it with trial numbers).
        ranges: the parameter ranges.
        strategy: Bayesian (TPE), Random, Grid (each point once), Hyperband (TPE proposals, Hyperband
            pruning).
        direction: Maximize or Minimize.
        early_stopping: Auto stops a trial whose intermediate values fall below the median of the
            others at the same step (Hyperband prunes by its own rule either way).
        seed: the search's seed.
        max_trials: how many trials the job runs (sizes TPE's random start).
    """

    def __init__(self, name: str, ranges: dict[str, ParameterRange], strategy: Strategy, direction: ObjectiveType,
                 early_stopping: EarlyStopping, seed: int, max_trials: int):
        self.name = name
        self.ranges = ranges
        self.strategy = strategy
        self.direction = direction
        self.early_stopping = early_stopping
        self.seed = seed
        self.max_trials = max_trials

    @property
    def prunes(self) -> bool:
        """Whether running trials' intermediate values can stop them."""
        return self.strategy == Strategy.HYPERBAND or self.early_stopping == EarlyStopping.AUTO

    def _sampler(self, trials_so_far: int) -> Any:
        optuna = _quiet_optuna()
        seed = (self.seed + 7919 * trials_so_far) % (2**31)
        if self.strategy == Strategy.RANDOM:
            return optuna.samplers.RandomSampler(seed=seed)
        # TPE: a random start of about a third of the budget (at most Optuna's 10), then proposals
        # from the model; constant_liar keeps parallel trials from proposing the same region.
        startup = max(2, min(10, self.max_trials // 3))
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, multivariate=True,
                                          constant_liar=True)

    def _pruner(self) -> Any:
        optuna = _quiet_optuna()
        if self.strategy == Strategy.HYPERBAND:
            return optuna.pruners.HyperbandPruner(min_resource=1, max_resource="auto", reduction_factor=3)
        if self.early_stopping == EarlyStopping.AUTO:
            return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=1)
        return optuna.pruners.NopPruner()

    def study(self, trials: list[TrialRecord], warm: Sequence[TrialRecord] = ()) -> Any:
        """An in-memory study holding `warm` then `trials` (in their order)."""
        optuna = _quiet_optuna()
        from optuna.trial import TrialState, create_trial

        study = optuna.create_study(study_name=self.name, sampler=self._sampler(len(trials)), pruner=self._pruner(),
                                    direction=self.direction.value.lower())
        states = {TrialStatus.COMPLETED: TrialState.COMPLETE, TrialStatus.PRUNED: TrialState.PRUNED,
                  TrialStatus.RUNNING: TrialState.RUNNING}
        for record in [*warm, *trials]:
            state = states.get(record.status, TrialState.FAIL)
            if state == TrialState.COMPLETE and record.objective is None:
                state = TrialState.FAIL
            params = {k: v for k, v in record.parameters.items() if k in self.ranges}
            study.add_trial(create_trial(
                state=state, params=params,
                distributions={k: space.distribution(self.ranges[k]) for k in params},
                value=record.objective if state in (TrialState.COMPLETE, TrialState.PRUNED) else None,
                intermediate_values={int(k): float(v) for k, v in record.intermediate.items()}))
        return study

    def propose(self, trials: list[TrialRecord], warm: Sequence[TrialRecord] = ()) -> dict[str, Any] | None:
        """The values of the next trial (None: a Grid search has visited every point)."""
        if self.strategy == Strategy.GRID:
            return self._next_grid_point([*warm, *trials])
        study = self.study(trials, warm)
        return dict(study.ask(space.distributions(self.ranges)).params)

    def _next_grid_point(self, trials: Sequence[TrialRecord]) -> dict[str, Any] | None:
        """The first point, in an order shuffled by the seed, that no trial (a parent's included)
        has taken. Optuna's GridSampler remembers its points in trial attributes of a live study
        and reshuffles with each seed, which a study rebuilt at every decision cannot keep."""
        points = space.grid(self.ranges)
        names = sorted(points)
        grid = list(itertools.product(*(points[n] for n in names)))
        random.Random(self.seed).shuffle(grid)
        taken = {tuple(repr(t.parameters.get(n)) for n in names) for t in trials}
        for point in grid:
            if tuple(repr(v) for v in point) not in taken:
                values = dict(zip(names, point, strict=True))
                return {name: values[name] for name in self.ranges}  # in the ranges' order, as the others
        return None

    def should_prune(self, trials: list[TrialRecord], number: int, warm: Sequence[TrialRecord] = ()) -> bool:
        """Whether the running trial `number` should stop, given its intermediate values and the others'."""
        if not self.prunes:
            return False
        study = self.study(trials, warm)
        index = len(warm) + next(i for i, t in enumerate(trials) if t.number == number)
        return bool(study.pruner.prune(study, study.trials[index]))

    def importances(self, trials: list[TrialRecord]) -> dict[str, float]:
        """Optuna's fANOVA importance of each range over the completed trials ({} until two
        completed with different values)."""
        optuna = _quiet_optuna()
        done = [t for t in trials if t.status == TrialStatus.COMPLETED and t.objective is not None]
        if len(done) < 2 or len({repr(sorted(t.parameters.items())) for t in done}) < 2:
            return {}
        try:
            evaluator = optuna.importance.FanovaImportanceEvaluator(seed=self.seed % (2**31))
            found = optuna.importance.get_param_importances(self.study(done), evaluator=evaluator)
        except (ValueError, RuntimeError, ZeroDivisionError):
            return {}
        return {name: round(float(value), 6) for name, value in found.items()}
