"""The search rebuilt from trial records, as the agent does at every decision (real Optuna)."""

from __future__ import annotations

import pytest

from studio_ext.schemas.tuning import (
    EarlyStopping,
    ObjectiveType,
    ParameterRange,
    Strategy,
    TrialStatus,
)
from studio_ext.tuning.search import Search, TrialRecord


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_given_a_grid_when_proposed_trial_by_trial_from_rebuilt_studies_then_each_point_comes_once(seed):
    ranges = {"x": ParameterRange(type="Categorical", values=[0.1, 0.3]),
              "c": ParameterRange(type="Categorical", values=["a", "b"]),
              "n": ParameterRange(type="Integer", min=1, max=3)}
    search = Search("grid", ranges, Strategy.GRID, ObjectiveType.MAXIMIZE, EarlyStopping.OFF, seed, 12)
    trials: list[TrialRecord] = []
    for number in range(12):  # two in parallel: every other trial still running at the next proposal
        values = search.propose(trials)
        trials.append(TrialRecord(number, TrialStatus.RUNNING if number % 2 else TrialStatus.COMPLETED, values,
                                  objective=None if number % 2 else float(number)))

    points = {(t.parameters["x"], t.parameters["c"], t.parameters["n"]) for t in trials}
    assert len(points) == 12


def test_given_a_grid_whose_points_a_parent_took_then_the_rest_come_once_and_then_none():
    ranges = {"x": ParameterRange(type="Categorical", values=[0.1, 0.2, 0.3, 0.4])}
    search = Search("grid", ranges, Strategy.GRID, ObjectiveType.MAXIMIZE, EarlyStopping.OFF, 7, 4)
    parent = [TrialRecord(0, TrialStatus.COMPLETED, {"x": 0.2}, 1.0), TrialRecord(1, TrialStatus.COMPLETED, {"x": 0.4}, 2.0)]
    trials: list[TrialRecord] = []
    while (values := search.propose(trials, parent)) is not None:
        trials.append(TrialRecord(len(trials), TrialStatus.COMPLETED, values, 0.0))

    assert sorted(t.parameters["x"] for t in trials) == [0.1, 0.3]
