"""Script launcher: `python <script> --key value ...` in the snapshot, output to the job log.

Parameters become arguments in order: `--key value`, with strings as given, numbers as written by
`str()`, booleans as `true`/`false`, lists and dicts as JSON, and None left out (the script's own
default applies). Exit code 0 means Completed; anything else is Failed with the code and the last
line the script wrote to stderr.

SageMaker script mode: the script also gets SageMaker's training environment (SM_MODEL_DIR,
SM_OUTPUT_DATA_DIR, SM_HPS, SM_NUM_GPUS, SM_HOSTS, SM_CURRENT_HOST, SM_CHANNELS and the
SM_CHANNEL_<NAME> of the job's channels), so a SageMaker training script runs unmodified; what it
writes to SM_MODEL_DIR is logged to the job's MLflow run as its `model` artifacts.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from ...schemas import JobKind, JobStatus
from ...settings import StudioSettings
from .. import resources
from ..guard import STOP_GRACE_S
from .base import Attempt, BaseLauncher, Outcome

MODEL_DIR = "model"  # SM_MODEL_DIR, under the job's output folder
DATA_DIR = "data"  # SM_OUTPUT_DATA_DIR


def sagemaker_env(output_dir: Path, parameters: dict[str, Any], gpus: int, env: dict[str, str],
                  instances: int = 1) -> dict[str, str]:
    """SageMaker's training environment for a script (the SM_CHANNEL_<NAME> come with the job; a
    distributed job's ranks each get their own SM_CURRENT_HOST from the group)."""
    channels = sorted(k.removeprefix("SM_CHANNEL_").lower() for k in env if k.startswith("SM_CHANNEL_"))
    for name in (MODEL_DIR, DATA_DIR):
        (output_dir / name).mkdir(exist_ok=True)
    return {"SM_MODEL_DIR": str(output_dir / MODEL_DIR), "SM_OUTPUT_DATA_DIR": str(output_dir / DATA_DIR),
            "SM_HPS": json.dumps(parameters), "SM_NUM_GPUS": str(gpus), "SM_NUM_CPUS": str(os.cpu_count() or 1),
            "SM_HOSTS": json.dumps([f"algo-{i + 1}" for i in range(instances)]), "SM_CURRENT_HOST": "algo-1",
            "SM_CHANNELS": json.dumps(channels)}


def group_argv(argv: list[str], instances: int, cpus: list[int] | None) -> list[str]:
    """`argv` run by every rank of a distributed job's group (runner/group.py), each rank on its
    share of the job's CPUs."""
    cpu_sets = resources.split_cpus(cpus, instances) if cpus else None
    return [sys.executable, "-m", "studio_ext.runner.group", "--ranks", str(instances),
            *(["--cpus", ";".join(resources.format_cpu_set(c) for c in cpu_sets)] if cpu_sets else []), "--", *argv]


def script_argv(script: Path, parameters: dict[str, Any]) -> list[str]:
    argv = [sys.executable, str(script)]
    for key, value in parameters.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (list, dict)):
            text = json.dumps(value)
        else:
            text = str(value)
        argv += [f"--{key}", text]
    return argv


class ScriptRun:
    """One script process; `kill()` and `terminate()` may be called from the guard thread."""

    def __init__(self, script: Path, parameters: dict[str, Any], cwd: Path, env: dict[str, str],
                 log_path: Path, cpus: list[int] | None, argv: list[str] | None = None):
        self.argv = argv or script_argv(script, parameters)
        self.cwd, self.env, self.log_path, self.cpus = cwd, env, log_path, cpus
        self.proc: subprocess.Popen | None = None
        self.last_stderr: collections.deque[str] = collections.deque(maxlen=20)

    def start(self) -> int:
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if self.cpus:
                # Pin the calling thread (this job process serves one job): the child inherits the
                # CPU set from it, and so does everything the script starts.
                os.sched_setaffinity(0, self.cpus)
            # Own session: stop/timeout signal the whole group the script may have started.
            self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                         stdout=log_fd, stderr=subprocess.PIPE, start_new_session=True,
                                         preexec_fn=resources.die_with_parent(os.getpid()))
        finally:
            os.close(log_fd)
        self._pump = threading.Thread(target=self._copy_stderr, daemon=True)
        self._pump.start()
        return self.proc.pid

    def _copy_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        with open(self.log_path, "ab", buffering=0) as log:
            for line in iter(self.proc.stderr.readline, b""):
                log.write(line)
                text = line.decode("utf-8", errors="replace").strip()
                if text:
                    self.last_stderr.append(text)

    def wait(self) -> int:
        assert self.proc is not None
        code = self.proc.wait()
        self._pump.join(timeout=5)
        return code

    def failure_reason(self, code: int) -> str:
        if code < 0:
            reason = f"script killed by signal {-code}"
        else:
            reason = f"script exited with code {code}"
        if self.last_stderr:
            reason += f": {self.last_stderr[-1][:500]}"
        return reason


class ScriptLauncher(BaseLauncher):
    """The script runs in its snapshot folder (the job's working_dir) in its own session; a stop
    request is SIGTERM to its process group, then SIGKILL after STOP_GRACE_S."""

    kind = JobKind.SCRIPT

    def __init__(self, settings: StudioSettings) -> None:
        super().__init__(settings)
        # ScriptRun pins this thread to start the script on the job's CPU set: this is the set
        # to go back to afterwards, for the next job.
        self.base_affinity = resources.available_cpus()
        self._run: ScriptRun | None = None
        self._pid: int | None = None
        self._code: int | None = None

    def prepare(self, attempt: Attempt) -> None:
        job = attempt.job
        env = dict(os.environ)
        itype = self.settings.instance_types.get(job.instance_type)
        instances = job.instance_count or 1
        env.update(sagemaker_env(attempt.output_dir, job.parameters or {}, itype.gpus if itype else 0, attempt.env,
                                 instances))
        env.update(attempt.env)
        env.setdefault("PYTHONUNBUFFERED", "1")  # the live log should be live
        attempt.log.flush()
        argv = self.argv(attempt) or script_argv(attempt.input_file, job.parameters or {})
        if instances > 1:
            argv = group_argv(argv, instances, attempt.cpus or resources.available_cpus())
            attempt.log.write(f"[studio] {instances} instances train together: a torch.distributed group, each "
                              "rank's lines prefixed [rank N]\n")
        self._run = ScriptRun(attempt.input_file, job.parameters or {}, Path(job.working_dir), env,
                              attempt.log_path, attempt.cpus, argv)
        self._pid, self._code = None, None
        try:
            self._pid = self._run.start()
        finally:
            if attempt.cpus:
                os.sched_setaffinity(0, self.base_affinity)

    def argv(self, attempt: Attempt) -> list[str] | None:
        """The command to run (None: the job's script with its parameters as arguments)."""
        return None

    def run(self, attempt: Attempt) -> None:
        assert self._run is not None
        self._code = self._run.wait()

    def result(self, attempt: Attempt) -> Outcome:
        code = self._code
        assert self._run is not None and code is not None  # run() returned, so the script ended
        if code == 0:
            self._log_model_dir(attempt)
            return Outcome(JobStatus.COMPLETED, None, 0)
        return Outcome(JobStatus.FAILED, self._run.failure_reason(code), code)

    def _log_model_dir(self, attempt: Attempt) -> None:
        """What the script wrote to SM_MODEL_DIR becomes the run's `model` artifacts."""
        model_dir = attempt.output_dir / MODEL_DIR
        if not attempt.mlflow_run_id or not model_dir.is_dir() or not any(model_dir.iterdir()):
            return
        try:
            from ... import tracking

            client = tracking.client(self.settings.mlflow_tracking_uri, self.settings.home,
                                     self.settings.mlflow_registry_uri)
            client.log_artifacts(attempt.mlflow_run_id, str(model_dir), MODEL_DIR)
            attempt.log.write(f"[studio] logged SM_MODEL_DIR to the MLflow run as '{MODEL_DIR}'\n")
        except Exception as exc:  # the job itself succeeded: say so, and why the model is not there
            attempt.log.write(f"[studio] warning: could not log SM_MODEL_DIR to MLflow: {exc}\n")

    def pid(self) -> int | None:
        return self._pid

    def interrupt(self) -> None:
        if self._pid:
            resources.kill_tree(self._pid, grace=STOP_GRACE_S)

    def kill(self) -> None:
        if self._pid:
            resources.kill_tree(self._pid)
