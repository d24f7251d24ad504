"""Find the studio server: explicit arguments, then STUDIO_URL/STUDIO_TOKEN, then a config file,
then the Jupyter servers running on this machine."""

from __future__ import annotations

import glob
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ..exceptions import StudioError


@dataclass(frozen=True)
class ServerInfo:
    url: str  # base URL of the Jupyter server, with its base_url, ending in "/"
    token: str | None
    source: str  # where it came from, for error messages and `studio config`
    root_dir: str | None = None


def config_path() -> Path:
    """`$STUDIO_CONFIG`, else `$XDG_CONFIG_HOME/studio/config.json` (default ~/.config)."""
    env = os.environ.get("STUDIO_CONFIG")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "studio" / "config.json"


def _normalize(url: str) -> str:
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    return url if url.endswith("/") else url + "/"


def _from_config_file() -> ServerInfo | None:
    path = config_path()
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise StudioError(f"config file {path}: not valid JSON ({exc})", "InvalidParameterValue") from None
    if not isinstance(data, dict) or not data.get("url"):
        raise StudioError(f"config file {path}: needs an object with a 'url' (and usually a 'token')",
                          "InvalidParameterValue")
    return ServerInfo(_normalize(data["url"]), data.get("token") or None, f"config file {path}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _ancestor_pids() -> list[int]:
    """This process's ancestors, nearest first (Linux /proc; elsewhere only the parent)."""
    pids, pid = [], os.getpid()
    for _ in range(32):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                # The command name may contain spaces and parentheses: split after the last ')'.
                pid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            if not pids:
                pids.append(os.getppid())
            break
        if pid <= 1:
            break
        pids.append(pid)
    return pids


def running_servers() -> list[dict]:
    """The jpserver-*.json files of live Jupyter servers (what `jupyter server list` reads).

    Read directly rather than through jupyter_server, whose import costs about a second."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        runtime = jupyter_runtime_dir()
    except ImportError:  # pragma: no cover - jupyter_core ships with every Jupyter install
        runtime = os.path.join(os.path.expanduser("~"), ".local", "share", "jupyter", "runtime")
    servers = []
    for path in glob.glob(os.path.join(runtime, "jpserver-*.json")):
        try:
            with open(path) as fh:
                info = json.load(fh)
        except (OSError, ValueError):
            continue
        if isinstance(info, dict) and info.get("url") and _pid_alive(int(info.get("pid", 0) or 0)):
            stat = os.stat(path)
            info["_mtime"], info["_uid"] = stat.st_mtime, stat.st_uid  # the file's owner runs that server
            servers.append(info)
    return servers


_said: set[str] = set()


def _say_once(message: str) -> None:
    """Tell the user (stderr, once per process) which server a guess picked."""
    if message not in _said:
        _said.add(message)
        print(message, file=sys.stderr)


def _from_running_servers() -> ServerInfo | None:
    servers = running_servers()
    if not servers:
        return None
    # Never guess between users: another user's server is not ours to send our work to.
    mine = [s for s in servers if s["_uid"] == os.getuid()]
    if not mine:
        owners = sorted({str(s["_uid"]) for s in servers})
        raise StudioError(
            f"only Jupyter servers of other users run here (uid {', '.join(owners)}); the studio does not guess "
            "between users: set STUDIO_URL and STUDIO_TOKEN (or pass url=/--url) to the server you mean",
            "ServiceUnavailable")
    # A kernel started by the lab is a child of its server: prefer that one. Then a server whose
    # root holds the current directory, then the newest.
    ancestors = _ancestor_pids()
    cwd = os.path.realpath(os.getcwd())

    def rank(info: dict) -> tuple:
        pid = int(info.get("pid", 0) or 0)
        depth = ancestors.index(pid) if pid in ancestors else len(ancestors) + 1
        root = os.path.realpath(info.get("root_dir") or info.get("notebook_dir") or "/nonexistent")
        under_root = cwd == root or cwd.startswith(root.rstrip(os.sep) + os.sep)
        return (depth, not under_root, -info["_mtime"])

    ranked = sorted(mine, key=rank)
    best = ranked[0]
    depth, not_under_root, _ = rank(best)
    if len(ranked) > 1 and depth > len(ancestors):  # a guess, not the server of this kernel
        why = ("its root holds the current directory" if not not_under_root
               else "it is the most recently started")
        _say_once(f"studio: {len(ranked)} Jupyter servers run here; using {best['url']} (pid {best.get('pid')}, "
                  f"root {best.get('root_dir')}) because {why}. Set STUDIO_URL to choose another.")
    return ServerInfo(_normalize(best["url"]), best.get("token") or None,
                      f"running Jupyter server (pid {best.get('pid')})", best.get("root_dir"))


def discover(url: str | None = None, token: str | None = None) -> ServerInfo:
    """The server to talk to. Raises StudioError with what to do when there is none."""
    if url:
        return ServerInfo(_normalize(url), token if token is not None else os.environ.get("STUDIO_TOKEN"),
                          "arguments")
    env_url = os.environ.get("STUDIO_URL")
    if env_url:
        return ServerInfo(_normalize(env_url), token if token is not None else os.environ.get("STUDIO_TOKEN"),
                          "STUDIO_URL")
    for finder in (_from_config_file, _from_running_servers):
        info = finder()
        if info is not None:
            if token is not None:
                info = ServerInfo(info.url, token, info.source, info.root_dir)
            return info
    raise StudioError(
        "no studio server found: pass url=/--url, set STUDIO_URL and STUDIO_TOKEN, write "
        f"{config_path()} with {{\"url\": ..., \"token\": ...}}, or start one with `make studio`",
        "ServiceUnavailable",
    )
