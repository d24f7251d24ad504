"""Process-level helpers: CPU sets, process trees, RSS, liveness that survives pid reuse."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

import psutil

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int):
    """preexec_fn: if the parent (a job process, a group) is killed (-9), the kernel kills this
    child too, instead of leaving it running unseen. Resolved before fork: the child only makes
    two plain calls."""
    prctl, getppid, sigkill = _libc.prctl, os.getppid, 9

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, sigkill)
        if getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def available_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0))


def choose_cpus(vcpus: int, busy_sets: Iterable[str | None]) -> list[int]:
    """The `vcpus` least-used CPUs (spreads concurrent jobs; capped to what this process may use)."""
    cpus = available_cpus()
    load = Counter({cpu: 0 for cpu in cpus})
    for cpu_set in busy_sets:
        for cpu in parse_cpu_set(cpu_set):
            if cpu in load:
                load[cpu] += 1
    ranked = sorted(cpus, key=lambda cpu: (load[cpu], cpu))
    return sorted(ranked[: max(1, min(vcpus, len(cpus)))])


def split_cpus(cpus: list[int], parts: int) -> list[list[int]]:
    """`cpus` dealt into `parts` sets, one per instance of a distributed job: equal contiguous
    shares, or one CPU each in turn (shared) when there are fewer CPUs than parts."""
    if len(cpus) >= parts:
        share = len(cpus) // parts
        return [cpus[i * share:(i + 1) * share] for i in range(parts)]
    return [[cpus[i % len(cpus)]] for i in range(parts)]


def parse_cpu_set(cpu_set: str | None) -> list[int]:
    if not cpu_set:
        return []
    return [int(part) for part in cpu_set.split(",") if part.strip()]


def format_cpu_set(cpus: Iterable[int]) -> str:
    return ",".join(str(cpu) for cpu in cpus)


def set_affinity_all_threads(pid: int, cpus: list[int]) -> None:
    """sched_setaffinity applies to one thread; a started kernel already has several."""
    try:
        tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:
        tids = [pid]
    for tid in tids:
        try:
            os.sched_setaffinity(tid, cpus)
        except OSError:
            pass  # the thread ended meanwhile


def create_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def is_alive(pid: int | None, expected_create_time: float | None) -> bool:
    """True if `pid` runs and is the same process (create time matches: pids get reused)."""
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        if expected_create_time is not None and abs(proc.create_time() - expected_create_time) > 0.5:
            return False
        return True
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def tree(pid: int) -> list[psutil.Process]:
    try:
        proc = psutil.Process(pid)
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    total = 0
    for proc in tree(pid):
        try:
            total += proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (0.0 when it is gone)."""
    total = 0.0
    for proc in tree(pid):
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            continue
    return total


def kill_tree(pid: int, include_self: bool = True, grace: float = 0.0) -> None:
    """SIGTERM (if grace) then SIGKILL a process and its descendants, children first collected so
    none escapes by re-parenting once its parent is gone."""
    procs = tree(pid)
    if not include_self:
        procs = procs[1:]
    if grace > 0:
        for proc in procs:
            try:
                proc.send_signal(signal.SIGTERM)
            except psutil.NoSuchProcess:
                pass
        _gone, procs = psutil.wait_procs(procs, timeout=grace)
    for proc in procs:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(procs, timeout=5)


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid):
            return True
        time.sleep(0.05)
    return not psutil.pid_exists(pid)


class DetachedPopen(subprocess.Popen):
    """A child that is meant to outlive its handle: it runs in its own session and survives the
    agent (a new agent re-attaches by pid). Popen.__del__ would warn "still running" when a handle
    is dropped (an agent object replaced, a test's reconciler gone): reap it if it exited, else
    let it be."""

    def __del__(self, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "_child_created", False) and self.returncode is None:
            try:
                self.poll()  # reaps it if it exited; if it still runs, it is no longer ours to wait for
            except OSError:
                pass
