"""Where the studio keeps its files and what URLs its stores have by default.

Everything derives from STUDIO_HOME, so a test or an operator moves the whole studio by setting it.
"""

from __future__ import annotations

import os
from pathlib import Path

# The layout of a job's folder, written by the job service (snapshot) and the job process (the
# rest) and read by both: named once here, where the folder itself is named.
INPUT_DIR = "input"  # the snapshot: the notebook file; for a script, its whole folder
OUTPUT_DIR = "output"  # STUDIO_OUTPUT_DIR: the executed notebook and html, whatever a script writes
LOG_NAME = "job.log"  # the live log (all attempts, separated by a banner line)
OUTPUT_NOTEBOOK = "output.ipynb"
OUTPUT_HTML = "output.html"


def studio_home() -> Path:
    """`$STUDIO_HOME`, else `<jupyter data dir>/studio`; created on first use."""
    env = os.environ.get("STUDIO_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        from jupyter_core.paths import jupyter_data_dir

        home = Path(jupyter_data_dir()) / "studio"
    home.mkdir(parents=True, exist_ok=True)
    return home.resolve()


def default_db_url(home: Path | None = None) -> str:
    """`$STUDIO_DB_URL`, else SQLite in STUDIO_HOME."""
    return os.environ.get("STUDIO_DB_URL") or f"sqlite:///{(home or studio_home()) / 'studio.db'}"


def default_mlflow_tracking_uri(home: Path | None = None) -> str:
    """`$STUDIO_MLFLOW_TRACKING_URI`, else an MLflow SQLite store in STUDIO_HOME."""
    return (
        os.environ.get("STUDIO_MLFLOW_TRACKING_URI")
        or f"sqlite:///{(home or studio_home()) / 'mlflow.db'}"
    )


def default_artifact_root(home: Path | None = None) -> str:
    """Artifacts of experiments the studio creates; used when the tracking store is local."""
    root = (home or studio_home()) / "mlartifacts"
    root.mkdir(parents=True, exist_ok=True)
    return root.as_uri()


def job_dir(job_id: str, home: Path | None = None) -> Path:
    """`$STUDIO_HOME/jobs/<id>/`: INPUT_DIR, OUTPUT_DIR and LOG_NAME (see above)."""
    return (home or studio_home()) / "jobs" / job_id


def endpoint_dir(name: str, home: Path | None = None) -> Path:
    """`$STUDIO_HOME/endpoints/<name>/`: capture/ (sampled traffic) and logs/ (one per replica)."""
    return (home or studio_home()) / "endpoints" / name


def endpoint_capture_dir(name: str, home: Path | None = None) -> Path:
    """Where an endpoint's replicas write captured requests/responses (JSONL, one file per worker)."""
    return endpoint_dir(name, home) / "capture"


def transform_job_dir(transform_job_id: str, home: Path | None = None) -> Path:
    """`$STUDIO_HOME/transform-jobs/<id>/`: progress.json, result.json, transform.log."""
    return (home or studio_home()) / "transform-jobs" / transform_job_id


def package_env(**defaults: str) -> dict[str, str]:
    """This process's environment for a child process that must import this very package (it may
    be on PYTHONPATH rather than installed: development, tests), with `defaults` for variables the
    environment does not set."""
    env = {**defaults, **os.environ}
    pkg_parent = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_parent, env.get("PYTHONPATH")) if p)
    return env
