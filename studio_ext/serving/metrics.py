"""Request counters and latency histograms shared by a replica's worker processes (one mmap row each)."""

from __future__ import annotations

import mmap

import numpy as np

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
# Row layout: 2xx, 4xx, 5xx, latency sum, then one cumulative-free count per bucket (+Inf last).
OK, CLIENT_ERR, SERVER_ERR, LAT_SUM, FIRST_BUCKET = range(5)
WIDTH = FIRST_BUCKET + len(BUCKETS) + 1


class SharedMetrics:
    """Created before the workers fork; each worker writes only its own row, so no locks."""

    def __init__(self, workers: int):
        self._mem = mmap.mmap(-1, max(1, workers) * WIDTH * 8)
        self.table = np.frombuffer(self._mem, dtype=np.float64).reshape(max(1, workers), WIDTH)
        self.row = self.table[0]
        self._edges = np.array(BUCKETS)

    def use_row(self, index: int) -> None:
        self.row = self.table[index]

    def observe(self, status: int, seconds: float) -> None:
        row = self.row
        row[OK if status < 400 else CLIENT_ERR if status < 500 else SERVER_ERR] += 1
        row[LAT_SUM] += seconds
        row[FIRST_BUCKET + int(np.searchsorted(self._edges, seconds))] += 1

    def totals(self) -> np.ndarray:
        return self.table.sum(axis=0)

    def prometheus(self, labels: str = "") -> str:
        t = self.totals()
        lab = "{" + labels + "}" if labels else ""
        sep = "," if labels else ""
        lines = [
            "# HELP studio_invocations_total Scoring requests by outcome.",
            "# TYPE studio_invocations_total counter",
            f'studio_invocations_total{{{labels}{sep}code="2xx"}} {int(t[OK])}',
            f'studio_invocations_total{{{labels}{sep}code="4xx"}} {int(t[CLIENT_ERR])}',
            f'studio_invocations_total{{{labels}{sep}code="5xx"}} {int(t[SERVER_ERR])}',
            "# HELP studio_invocation_seconds Scoring latency inside the replica.",
            "# TYPE studio_invocation_seconds histogram",
        ]
        cumulative = 0
        for i, edge in enumerate((*BUCKETS, float("inf"))):
            cumulative += int(t[FIRST_BUCKET + i])
            le = "+Inf" if edge == float("inf") else repr(edge)
            lines.append(f'studio_invocation_seconds_bucket{{{labels}{sep}le="{le}"}} {cumulative}')
        lines.append(f"studio_invocation_seconds_sum{lab} {t[LAT_SUM]:.6f}")
        lines.append(f"studio_invocation_seconds_count{lab} {cumulative}")
        return "\n".join(lines) + "\n"
