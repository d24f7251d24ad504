"""Invocation metrics: a replica's counters and /metrics text (produced), and that text read back.

A replica's worker processes share their counters (one mmap row each) and answer /metrics in the
Prometheus text format. The Jupyter server (live totals), the agent (canary error rate, history
samples) read that text with the functions below: {"2xx", "4xx", "5xx", "buckets": {le: n}}.
Stdlib and numpy only: this module starts in every replica.
"""

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


# ---------------------------------------------------------------------- reading the text back

COUNTER_KEYS = ("2xx", "4xx", "5xx")
METRICS_SAMPLE_S = 5.0  # the agent reads every replica's /metrics this often (the history's resolution)


def fetch_metrics(port: int, token: str, timeout: float = 1.0) -> str:
    """A replica's /metrics text ("" when it does not answer); `token`: the replica token."""
    import http.client  # here, not at the top: a replica never fetches, and its start-up time counts

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {token}"})
        return conn.getresponse().read().decode()
    except (OSError, http.client.HTTPException):
        return ""
    finally:
        conn.close()


def parse_prometheus(text: str) -> dict:
    """studio_invocations_total and the latency buckets as {"2xx", "4xx", "5xx", "buckets": {le: n}}."""
    counts: dict = {"buckets": {}}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key, _, value = line.rpartition(" ")
        if key.startswith("studio_invocations_total"):
            code = key.split('code="', 1)[1].split('"', 1)[0]
            counts[code] = counts.get(code, 0) + float(value)
        elif key.startswith("studio_invocation_seconds_bucket"):
            le = key.split('le="', 1)[1].split('"', 1)[0]
            counts["buckets"][le] = counts["buckets"].get(le, 0) + float(value)
    return counts


def merge_counts(agg: dict, counts: dict) -> None:
    """Add one {"2xx", "4xx", "5xx", "buckets": {le: n}} to another."""
    for key in COUNTER_KEYS:
        agg[key] = agg.get(key, 0) + counts.get(key, 0)
    buckets = agg.setdefault("buckets", {})
    for le, n in (counts.get("buckets") or {}).items():
        buckets[le] = buckets.get(le, 0) + n


def counts_since(previous: dict | None, now: dict) -> dict:
    """What a replica counted between two reads of its totals. A total that went down means the
    replica restarted from zero (as Prometheus' rate() reads a reset): then all of `now` is new."""
    if previous is None:
        return now
    keys = [(k, None) for k in COUNTER_KEYS] + [("buckets", le) for le in now.get("buckets", {})]

    def get(d: dict, key: str, le: str | None) -> float:
        return (d.get("buckets") or {}).get(le, 0) if le else d.get(key, 0)

    if any(get(now, k, le) < get(previous, k, le) for k, le in keys):
        return now
    delta: dict = {k: now.get(k, 0) - previous.get(k, 0) for k in COUNTER_KEYS}
    delta["buckets"] = {le: n - (previous.get("buckets") or {}).get(le, 0)
                        for le, n in now.get("buckets", {}).items()}
    return delta


def counts_summary(agg: dict) -> dict:
    """Requests by outcome and p50/p90/p99 in ms (interpolated in the histogram's buckets, as
    Prometheus' histogram_quantile does) of one {"2xx", "4xx", "5xx", "buckets"}."""
    buckets = sorted(((float("inf") if le == "+Inf" else float(le)), n)
                     for le, n in agg.get("buckets", {}).items())
    total = buckets[-1][1] if buckets else 0

    def quantile(q: float) -> float | None:
        if not total:
            return None
        target, prev_le, prev_n = q * total, 0.0, 0.0
        for le, n in buckets:
            if n >= target:
                if le == float("inf"):
                    return prev_le * 1000
                share = (target - prev_n) / (n - prev_n) if n > prev_n else 1.0
                return (prev_le + (le - prev_le) * share) * 1000
            prev_le, prev_n = le, n
        return prev_le * 1000

    return {"invocations": int(sum(agg.get(c, 0) for c in COUNTER_KEYS)),
            "errors_4xx": int(agg.get("4xx", 0)), "errors_5xx": int(agg.get("5xx", 0)),
            "latency_p50_ms": quantile(0.5), "latency_p90_ms": quantile(0.9),
            "latency_p99_ms": quantile(0.99)}
