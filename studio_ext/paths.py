"""Where the studio keeps its files and what URLs its stores have by default.

Everything derives from STUDIO_HOME, so a test or an operator moves the whole studio by setting it.
Everything in it is private to the account that runs the studio (folders 0700, files 0600): the
database holds job environments (which may be secrets), capture files hold inference payloads.
The studio's own processes run with umask 077; the Jupyter server (whose umask is the user's,
for the notebooks it writes) creates its files here through private_dir/private_open.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077
_PRIVATE_MARK = ".private"  # written once the whole tree was made private (homes from before)

# The layout of a job's folder, written by the job service (snapshot) and the job process (the
# rest) and read by both: named once here, where the folder itself is named.
INPUT_DIR = "input"  # the snapshot: the notebook file; for a script, its whole folder
OUTPUT_DIR = "output"  # STUDIO_OUTPUT_DIR: the executed notebook and html, whatever a script writes
LOG_NAME = "job.log"  # the live log (all attempts, separated by a banner line)
OUTPUT_NOTEBOOK = "output.ipynb"
OUTPUT_HTML = "output.html"
TRAINING_SPEC = "training.json"  # an algorithm job's spec, in INPUT_DIR (written at submission)
CHECKPOINT_DIR = "checkpoints"  # SM_CHECKPOINT_DIR of a job asked to checkpoint (kept across attempts)
TRAINING_RESULT = "training_result.json"  # what its training produced, in OUTPUT_DIR


def studio_home() -> Path:
    """`$STUDIO_HOME`, else `<jupyter data dir>/studio`; created (private) on first use."""
    env = os.environ.get("STUDIO_HOME")
    if env:
        home = Path(env).expanduser()
    else:
        from jupyter_core.paths import jupyter_data_dir

        home = Path(jupyter_data_dir()) / "studio"
    private_dir(home)
    return home.resolve()


def private_dir(path: Path) -> Path:
    """mkdir -p `path` with mode 0700 for every folder it creates (mkdir's own `parents` gives
    the parents the umask's mode)."""
    path = Path(path)
    missing = []
    while not path.exists():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
    return Path(missing[0]) if missing else path


def private_open(path: Path | str, mode: str = "ab"):
    """open() that creates the file 0600 (an existing file keeps its mode)."""
    return open(path, mode, opener=lambda name, flags: os.open(name, flags, 0o600))


def private_sqlite_file(url: str) -> None:
    """Create the file of a `sqlite:///path` URL empty and 0600 before SQLite does (SQLite gives
    its -wal and -shm files the mode of the database file)."""
    if not url.startswith("sqlite:///"):
        return
    path = url.split("///", 1)[1].split("?", 1)[0]
    if not path or path == ":memory:":
        return
    private_dir(Path(path).parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def secure_home(home: Path) -> None:
    """STUDIO_HOME private: the folder 0700 on every start, and once per home (a home from before
    this rule) everything in it stripped of group and other permissions."""
    home = Path(home)
    private_dir(home)
    os.chmod(home, 0o700)
    mark = home / _PRIVATE_MARK
    if mark.exists():
        return
    for dirpath, dirnames, filenames in os.walk(home):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            try:
                mode = os.lstat(path).st_mode
                if not stat.S_ISLNK(mode) and mode & 0o077:
                    os.chmod(path, stat.S_IMODE(mode) & ~0o077)
            except OSError:  # vanished meanwhile, or not ours
                pass
    private_open(mark, "a").close()


def default_db_url(home: Path | None = None) -> str:
    """`$STUDIO_DB_URL`, else SQLite in STUDIO_HOME."""
    return os.environ.get("STUDIO_DB_URL") or f"sqlite:///{(home or studio_home()) / 'studio.db'}"


def default_mlflow_tracking_uri(home: Path | None = None) -> str:
    """`$STUDIO_MLFLOW_TRACKING_URI`, else MLflow's own `$MLFLOW_TRACKING_URI` (a user who set it
    expects the studio to track there), else an MLflow SQLite store in STUDIO_HOME."""
    return (
        os.environ.get("STUDIO_MLFLOW_TRACKING_URI")
        or os.environ.get("MLFLOW_TRACKING_URI")
        or f"sqlite:///{(home or studio_home()) / 'mlflow.db'}"
    )


def default_mlflow_registry_uri(tracking_uri: str) -> str:
    """`$STUDIO_MLFLOW_REGISTRY_URI`, else MLflow's `$MLFLOW_REGISTRY_URI`, else the tracking URI
    (MLflow's own rule: the registry lives in the tracking store unless told otherwise)."""
    return os.environ.get("STUDIO_MLFLOW_REGISTRY_URI") or os.environ.get("MLFLOW_REGISTRY_URI") or tracking_uri


def default_artifact_root(home: Path | None = None) -> str:
    """Artifacts of experiments the studio creates; used when the tracking store is local."""
    root = (home or studio_home()) / "mlartifacts"
    private_dir(root)
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
