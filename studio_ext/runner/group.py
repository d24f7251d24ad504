"""A distributed job's process group: `instance_count` rank processes on this machine, started the
way torchrun starts its workers, with the rendezvous store on loopback.

    python -m studio_ext.runner.group --ranks 2 --cpus "0;1" -- python train.py --epochs 3

The script and launcher launchers wrap a job's command in this when `instance_count > 1`. Every
rank runs the command with torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE,
LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), so `dist.init_process_group("gloo")` (NCCL on a
GPU) works unchanged; SageMaker's SM_CURRENT_HOST is `algo-<rank + 1>` of SM_HOSTS. Each rank is
pinned to its own share of the job's CPUs (OMP_NUM_THREADS to match), and its output reaches the
job log line by line as `[rank N] ...`. The first rank that fails ends the group: the others are
stopped, and the last line names the rank and its last error line (the job's failure reason).

Why not torchrun itself: its agent serves two TCPStores that listen on every interface with no
authentication (torch binds "::" whatever host it is given). Here the one store is served from a
socket this process bound to 127.0.0.1 (`master_listen_fd`), and the ranks join it as torchrun's
workers join their agent's store (TORCHELASTIC_USE_AGENT_STORE); gloo and NCCL are told to use
the loopback interface. Nothing of the group listens beyond this machine.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import IO, Any

from . import resources

STOP_GRACE_S = 10.0
TORCH_RANK_PREFIX = re.compile(rb"^\[rank\d+\]: ?")


def rank_environment(rank: int, ranks: int, port: int, cpus: list[int] | None) -> dict[str, str]:
    env = {
        "RANK": str(rank), "LOCAL_RANK": str(rank), "GROUP_RANK": "0", "ROLE_RANK": str(rank),
        "WORLD_SIZE": str(ranks), "LOCAL_WORLD_SIZE": str(ranks), "ROLE_WORLD_SIZE": str(ranks),
        "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
        "TORCHELASTIC_USE_AGENT_STORE": "True", "TORCHELASTIC_RESTART_COUNT": "0",
        "TORCHELASTIC_MAX_RESTARTS": "0",
        "GLOO_SOCKET_IFNAME": "lo", "NCCL_SOCKET_IFNAME": "lo",
        "SM_CURRENT_HOST": f"algo-{rank + 1}",
    }
    if cpus:
        env.update(OMP_NUM_THREADS=str(len(cpus)), SM_NUM_CPUS=str(len(cpus)))
    return env


class Rank:
    """One rank's process, its output pumped into the group's with a `[rank N]` prefix."""

    def __init__(self, rank: int, command: list[str], env: dict[str, str], cpus: list[int] | None,
                 write: Any) -> None:
        self.rank, self.write = rank, write
        self.last_stderr: collections.deque[str] = collections.deque(maxlen=20)
        base = sorted(os.sched_getaffinity(0))
        try:
            if cpus:
                os.sched_setaffinity(0, cpus)  # the child inherits this thread's CPU set
            self.proc = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, preexec_fn=resources.die_with_parent(os.getpid()))
        finally:
            if cpus:
                os.sched_setaffinity(0, base)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.pumps = [threading.Thread(target=self._pump, args=(self.proc.stdout, False), daemon=True),
                      threading.Thread(target=self._pump, args=(self.proc.stderr, True), daemon=True)]
        for pump in self.pumps:
            pump.start()
        self.ended_at: float | None = None  # when it exited: the first failure is the cause, not
        threading.Thread(target=self._wait, daemon=True).start()  # the peers that lost it after

    def _wait(self) -> None:
        self.proc.wait()
        self.ended_at = time.monotonic()

    def _pump(self, stream: IO[bytes], is_stderr: bool) -> None:
        prefix = f"[rank {self.rank}] ".encode()
        for line in iter(stream.readline, b""):
            line = TORCH_RANK_PREFIX.sub(b"", line)  # torch's own "[rankN]: " before a traceback's lines
            self.write(prefix + line, is_stderr)
            text = line.decode("utf-8", errors="replace").strip()
            if is_stderr and text:
                self.last_stderr.append(text)

    def failure(self, code: int) -> str:
        how = f"was killed by signal {-code}" if code < 0 else f"failed with exit code {code}"
        last = f": {self.last_stderr[-1][:500]}" if self.last_stderr else ""
        return f"rank {self.rank} {how}{last}"


def run_group(command: list[str], ranks: int, cpu_sets: list[list[int]] | None) -> int:
    import torch.distributed as dist

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    store = dist.TCPStore("127.0.0.1", port, is_master=True, wait_for_workers=False,  # noqa: F841 (serves the ranks)
                          master_listen_fd=listener.fileno())
    lock = threading.Lock()

    def write(line: bytes, is_stderr: bool) -> None:
        stream = sys.stderr.buffer if is_stderr else sys.stdout.buffer
        with lock:
            stream.write(line if line.endswith(b"\n") else line + b"\n")
            stream.flush()

    print(f"[group] {ranks} ranks on 127.0.0.1:{port}"
          + (f", CPUs {' | '.join(','.join(map(str, c)) for c in cpu_sets)}" if cpu_sets else ""), flush=True)
    group = [Rank(r, command, {**os.environ, **rank_environment(r, ranks, port, cpu_sets[r] if cpu_sets else None)},
                  cpu_sets[r] if cpu_sets else None, write) for r in range(ranks)]

    def stop_all(signum: int, _frame: Any) -> None:  # the job was stopped: stop every rank, then end
        for member in group:
            resources.kill_tree(member.proc.pid, grace=STOP_GRACE_S)
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop_all)
    def first_failure() -> tuple[Rank, int] | None:
        ended = sorted((m for m in group if m.ended_at is not None and m.proc.returncode), key=lambda m: m.ended_at or 0)
        return (ended[0], ended[0].proc.returncode) if ended else None

    failed = None
    while failed is None and any(member.ended_at is None for member in group):
        time.sleep(0.05)
        failed = first_failure()
    if failed is not None:
        for member in group:  # the others wait in a collective for the one that failed: end them
            if member.proc.poll() is None:
                resources.kill_tree(member.proc.pid, grace=STOP_GRACE_S)
    for member in group:
        member.proc.wait()
        for pump in member.pumps:
            pump.join(timeout=5)
    failed = first_failure()  # now that all have ended (ranks that failed within one tick included)
    if failed is not None:
        member, code = failed
        write(f"[group] {member.failure(code)}".encode(), True)
        return code if code > 0 else 128 - code
    print(f"[group] all {ranks} ranks completed", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m studio_ext.runner.group")
    parser.add_argument("--ranks", type=int, required=True, help="processes in the group")
    parser.add_argument("--cpus", default="", help="each rank's CPUs: sets separated by ';' (e.g. '0,1;2,3')")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- the command every rank runs")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command or args.ranks < 1:
        parser.error("give --ranks N and the command after --")
    cpu_sets = [resources.parse_cpu_set(part) for part in args.cpus.split(";")] if args.cpus else None
    if cpu_sets is not None and len(cpu_sets) != args.ranks:
        parser.error(f"--cpus names {len(cpu_sets)} sets for {args.ranks} ranks")
    return run_group(command, args.ranks, cpu_sets)


if __name__ == "__main__":
    sys.exit(main())
