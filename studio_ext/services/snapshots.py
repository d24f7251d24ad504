"""Script snapshots: a job's copy of its script's folder, bounded, private and shared by content.

A script job runs in a snapshot of its folder, so editing the folder afterwards does not change a
queued or running job. What the snapshot takes:
- every file of the folder except version-control, virtualenv and cache folders
  (SNAPSHOT_SKIP_DIRS), STUDIO_HOME itself, and what a `.studioignore` file in the folder names
  (gitignore syntax, matched by `pathspec`, the library behind many gitignore tools);
- at most MAX_SNAPSHOT_BYTES in all, else a 400 that says how to make it smaller;
- symlinks are never followed out of the server root: a link to a file inside the root is copied
  as what it points at; a link to a folder, or one that leads outside the root, stays a link to
  the same absolute target (the job may read through it, as the script could in place, but
  nothing behind it is copied into the studio); a link into STUDIO_HOME is left out.

Files are stored once per content in `$STUDIO_HOME/snapshots/<sha256>` and hard-linked into each
job's input folder, so 300 jobs of one 100 MB folder take 100 MB, not 30 GB. The stored files are
read-only: a job writes its results to STUDIO_OUTPUT_DIR (or new files beside its script), never
over its input files in place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import threading
from pathlib import Path

from ..exceptions import InvalidParameter
from ..paths import private_dir

SNAPSHOT_SKIP_DIRS = frozenset({
    ".git", ".venv", "venv", "node_modules", "__pycache__", ".ipynb_checkpoints", ".mypy_cache",
    ".pytest_cache", ".ruff_cache"})
MAX_SNAPSHOT_BYTES = 500 * 1024 * 1024
IGNORE_FILE = ".studioignore"
STORE_DIR = "snapshots"

# (device, inode, size, mtime_ns) -> sha256: a file unchanged since the last snapshot is not read again.
_digests: dict[tuple[int, int, int, int], str] = {}
_digests_lock = threading.Lock()


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _ignore_spec(source: Path):
    ignore = source / IGNORE_FILE
    if not ignore.is_file():
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(ignore.read_text(errors="replace").splitlines())


def _digest(path: Path, st: os.stat_result) -> str:
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with _digests_lock:
        known = _digests.get(key)
    if known:
        return known
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    digest = sha.hexdigest()
    with _digests_lock:
        _digests[key] = digest
    return digest


def _store(path: Path, st: os.stat_result, home: Path) -> Path:
    """The stored, read-only copy of `path`'s content (made on first sight of that content)."""
    executable = bool(st.st_mode & stat.S_IXUSR)
    digest = _digest(path, st)
    folder = home / STORE_DIR / digest[:2]
    blob = folder / (digest + (".x" if executable else ""))
    if not blob.exists():
        private_dir(folder)
        partial = folder / f".{digest}.{os.getpid()}.{threading.get_ident()}"
        shutil.copyfile(path, partial)
        os.chmod(partial, 0o500 if executable else 0o400)
        os.replace(partial, blob)  # atomic: a concurrent snapshot of the same content agrees
    return blob


def snapshot_folder(source: Path, target: Path, home: Path, root: Path, input_path: str) -> None:
    """Snapshot `source` (a script's folder under the server `root`) into `target` (see the module
    docstring). InvalidParameter (`input: ...`) when it is too large."""
    home, root = Path(home).resolve(), Path(root).resolve()
    spec = _ignore_spec(source)
    files: list[tuple[Path, os.stat_result, Path]] = []  # (real file, its stat, relative path)
    links: list[tuple[Path, Path]] = []  # (absolute target, relative path): links kept as links
    total = 0

    def ignored(relative: Path, is_dir: bool) -> bool:
        return spec is not None and spec.match_file(relative.as_posix() + ("/" if is_dir else ""))

    for dirpath, dirnames, filenames in os.walk(source):
        current = Path(dirpath)
        kept = []
        for name in dirnames:
            path = current / name
            relative = path.relative_to(source)
            if name in SNAPSHOT_SKIP_DIRS or ignored(relative, True):
                continue
            real = path.resolve()
            if _inside(real, home):
                continue  # the studio's own home (or a link into it), under the server root
            if path.is_symlink():  # os.walk does not descend into links: keep it as a link
                if real.exists():
                    links.append((real, relative))
                continue
            kept.append(name)
        dirnames[:] = kept  # prune in place: os.walk never descends into skipped folders
        for name in filenames:
            path = current / name
            relative = path.relative_to(source)
            if ignored(relative, False):
                continue
            real = path.resolve()
            if _inside(real, home) or not real.exists():
                continue
            if path.is_symlink() and not _inside(real, root):
                links.append((real, relative))
                continue
            st = real.stat()
            if not stat.S_ISREG(st.st_mode):
                continue  # sockets, fifos, devices
            total += st.st_size
            if total > MAX_SNAPSHOT_BYTES:
                raise InvalidParameter(
                    f"input: the folder of {input_path!r} holds more than {MAX_SNAPSHOT_BYTES >> 20} MB; "
                    f"a script job snapshots its whole folder, so list what it does not need in a "
                    f"{IGNORE_FILE} file there (gitignore syntax), or move the script into a smaller "
                    "folder (data can be read from an absolute path)")
            files.append((real, st, relative))
    target.mkdir(mode=0o700, parents=True)
    for real, st, relative in files:
        destination = target / relative
        destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        blob = _store(real, st, home)
        try:
            os.link(blob, destination)
        except OSError:  # a file system without hard links: a private copy
            shutil.copyfile(blob, destination)
            os.chmod(destination, 0o600 | (st.st_mode & stat.S_IXUSR))
    for real, relative in links:
        destination = target / relative
        destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.symlink(real, destination)
