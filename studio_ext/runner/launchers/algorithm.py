"""Algorithm launcher: a built-in algorithm's training process, run like a script job.

`python -m studio_ext.algorithms.train --spec <input/training.json>` in the job's snapshot folder:
the same process handling as a script (its own session, the job's CPU set, stop and timeout, the
last stderr line as the failure reason); the training process logs to the job's MLflow run.
"""

from __future__ import annotations

import sys

from ...paths import INPUT_DIR, TRAINING_SPEC
from ...schemas import JobKind
from .base import Attempt
from .script import ScriptLauncher


class AlgorithmLauncher(ScriptLauncher):
    kind = JobKind.ALGORITHM

    def argv(self, attempt: Attempt) -> list[str]:
        return [sys.executable, "-m", "studio_ext.algorithms.train",
                "--spec", str(attempt.job_dir / INPUT_DIR / TRAINING_SPEC)]
