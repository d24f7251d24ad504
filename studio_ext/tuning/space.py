"""A tuning job's parameter ranges as Optuna distributions (and as a grid)."""

from __future__ import annotations

import math
from typing import Any

from ..schemas.tuning import MAX_GRID_POINTS, ParameterRange, RangeType, Scaling


def distribution(spec: ParameterRange) -> Any:
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    log = spec.scaling == Scaling.LOGARITHMIC
    if spec.type == RangeType.CATEGORICAL:
        assert spec.values is not None
        return CategoricalDistribution(spec.values)
    assert spec.min is not None and spec.max is not None
    if spec.type == RangeType.INTEGER:
        return IntDistribution(int(spec.min), int(spec.max), log=log)
    return FloatDistribution(spec.min, spec.max, log=log)


def distributions(ranges: dict[str, ParameterRange]) -> dict[str, Any]:
    return {name: distribution(spec) for name, spec in ranges.items()}


def grid_values(spec: ParameterRange) -> list[Any]:
    """The points a Grid search visits on one range (Continuous ranges have none)."""
    if spec.type == RangeType.CATEGORICAL:
        return list(spec.values or [])
    if spec.type == RangeType.INTEGER:
        assert spec.min is not None and spec.max is not None
        return list(range(int(spec.min), int(spec.max) + 1))
    raise ValueError("a Grid search needs Integer or Categorical ranges; a Continuous range has no grid "
                     "(give it as Categorical values)")


def grid(ranges: dict[str, ParameterRange]) -> dict[str, list[Any]]:
    """{name: points}, or ValueError naming the range that has no grid, or a grid too large."""
    points: dict[str, list[Any]] = {}
    for name, spec in ranges.items():
        try:
            points[name] = grid_values(spec)
        except ValueError as exc:
            raise ValueError(f"parameter_ranges.{name}: {exc}") from None
    size = math.prod(len(p) for p in points.values())
    if size > MAX_GRID_POINTS:
        raise ValueError(f"parameter_ranges: the grid has {size} points, more than {MAX_GRID_POINTS}; narrow the "
                         "ranges or use the Bayesian or Random strategy")
    return points


def contains(spec: ParameterRange, value: Any) -> bool:
    """Whether `value` is a point of the range (what a warm-start parent's trial must hold)."""
    if spec.type == RangeType.CATEGORICAL:
        return any(type(v) is type(value) and v == value for v in spec.values or [])
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    assert spec.min is not None and spec.max is not None
    if spec.type == RangeType.INTEGER and value != int(value):
        return False
    return spec.min <= value <= spec.max
