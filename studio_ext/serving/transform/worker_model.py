"""The model the workers score with: run() sets it in the parent, the forked workers inherit it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import LoadedModel

# Set before the pool forks, so every worker has the loaded model without loading or unpickling
# it again. Read it as `worker_model.MODEL` when it is needed: `from .worker_model import MODEL`
# would bind the None it holds at import time.
MODEL: LoadedModel | None = None


def model() -> LoadedModel:
    """MODEL, which a worker only reads after run() has set it."""
    if MODEL is None:
        raise RuntimeError("no model: run() sets worker_model.MODEL before the pool forks")
    return MODEL
