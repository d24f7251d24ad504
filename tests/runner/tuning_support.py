"""Shared by the tuning tests: a tiny objective script, a request over it, and waiting for the end."""

from __future__ import annotations

from studio_ext import schemas

# A tiny objective: the best x is 0.3, category "b" adds 0.1; the score climbs to its final value
# over `steps` logged steps (what early stopping watches), `sleep` seconds apart.
OBJECTIVE = """
import argparse, time
import mlflow
p = argparse.ArgumentParser()
p.add_argument("--x", type=float, default=0.5)
p.add_argument("--c", default="a")
p.add_argument("--steps", type=int, default=3)
p.add_argument("--sleep", type=float, default=0.0)
a, _ = p.parse_known_args()
final = 1.0 - (a.x - 0.3) ** 2 + (0.1 if a.c == "b" else 0.0)
for step in range(a.steps):
    mlflow.log_metric("score", final * (step + 1) / a.steps, step=step)
    time.sleep(a.sleep)
print("score", final)
"""


def script_request(**fields) -> schemas.CreateTuningJob:
    base = {"name": "tiny", "objective": {"metric": "score", "type": "Maximize"},
            "parameter_ranges": {"x": {"type": "Continuous", "min": 0.0, "max": 1.0},
                                 "c": {"type": "Categorical", "values": ["a", "b"]}},
            "max_trials": 4, "max_parallel_trials": 2,
            "training_job": {"input": "objective.py", "instance_type": "test.wide"}}
    base.update(fields)
    return schemas.CreateTuningJob.model_validate(base)


def wait_tuning(studio, tuning, tuning_job_id: str, timeout: float = 240) -> schemas.DescribeTuningJob:
    return studio.wait_for(lambda: (d := tuning.describe(tuning_job_id)).status.is_terminal and d, timeout,
                           f"tuning job {tuning_job_id} to end")
