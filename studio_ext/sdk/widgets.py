"""What the SDK shows in a notebook: a live progress bar while `job.wait()` or a tuning job's
`wait()` runs (ipywidgets), and rich HTML for jobs, tuning jobs, endpoints and algorithms (Jupyter calls `_repr_html_` on a cell's value).
Outside a notebook (a terminal, the CLI) the bar is never built and the reprs are never called.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable
from typing import Any

from ..schemas import (
    AlgorithmSpec,
    DescribeEndpoint,
    DescribeJob,
    DescribeTuningJob,
    JobStatus,
    TuningTrial,
)

STATUS_COLOURS = {"Completed": "#2e7d32", "InService": "#2e7d32", "Failed": "#c62828", "Stopped": "#ef6c00",
                  "Stopping": "#ef6c00", "OutOfService": "#ef6c00"}
BAR_STYLES = {JobStatus.COMPLETED: "success", JobStatus.FAILED: "danger", JobStatus.STOPPED: "warning"}
TABLE = "border-collapse:collapse;font-size:12px"
CELL = "text-align:left;padding:2px 8px;border-bottom:1px solid #e0e0e0;vertical-align:top"


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where a widget can be displayed)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _status(value: str) -> str:
    colour = STATUS_COLOURS.get(value, "#1565c0")
    return f'<b style="color:{colour}">{_e(value)}</b>'


def _rows(rows: Iterable[tuple[str, str]]) -> str:
    body = "".join(f'<tr><th style="{CELL}">{_e(k)}</th><td style="{CELL}">{v}</td></tr>' for k, v in rows if v)
    return f'<table style="{TABLE}">{body}</table>'


def _grid(header: list[str], rows: Iterable[list[str]]) -> str:
    head = "".join(f'<th style="{CELL}">{_e(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(f'<td style="{CELL}">{c}</td>' for c in row) + "</tr>" for row in rows)
    return f'<table style="{TABLE}"><tr>{head}</tr>{body}</table>'


def job_html(d: DescribeJob) -> str:
    instances = f" × {d.instance_count}" if d.instance_count > 1 else ""
    rows = [("job", f"<b>{_e(d.name)}</b> <code>{_e(d.job_id)}</code>"), ("status", _status(d.status.value)),
            ("kind", _e(d.kind.value)), ("instance", _e(d.instance_type) + instances),
            ("progress", f"{d.progress.percent:.0f}%" if d.progress.percent is not None and not d.status.is_terminal
             else ""),
            ("duration", f"{d.duration_seconds:.1f} s" if d.duration_seconds is not None else ""),
            ("reason", _e(d.status_reason)), ("MLflow run", f"<code>{_e(d.mlflow_run_id)}</code>"
                                                if d.mlflow_run_id else "")]
    training = d.training
    if training is not None:
        rows.append(("algorithm", _e(training.algorithm)))
        if training.result is not None:
            rows.append(("model", f"<code>{_e(training.result.model_uri)}</code>"))
            metrics = sorted(training.result.metrics.items())
            rows.append(("metrics", "<br>".join(f"{_e(k)} = {v:.4g}" for k, v in metrics[:12])))
    return _rows(rows)


def tuning_html(d: DescribeTuningJob, leaders: int = 5) -> str:
    """A tuning job: status, trial counts, the best trial, importances and the top trials."""
    c = d.counts
    counts = f"{c.total - c.running} of {d.max_trials} ended: {c.completed} completed" + "".join(
        f", {n} {label}" for n, label in ((c.pruned, "pruned"), (c.failed, "failed"), (c.stopped, "stopped"),
                                         (c.running, "running")) if n)
    rows = [("tuning job", f"<b>{_e(d.name)}</b> <code>{_e(d.tuning_job_id)}</code>"),
            ("status", _status(d.status.value)), ("reason", _e(d.status_reason)),
            ("objective", f"{_e(d.objective.type.value if d.objective.type else '')} "
                          f"<code>{_e(d.objective.metric)}</code>"),
            ("strategy", f"{_e(d.strategy.value)}, {d.max_parallel_trials} in parallel"
                         + (", early stopping" if d.early_stopping.value == "Auto" else "")),
            ("trials", counts)]
    best = d.best_trial
    if best is not None:
        rows.append(("best trial", f"#{best.trial_number}: {best.objective:.6g} with "
                                   + ", ".join(f"{_e(k)} = {_e(_short(v))}" for k, v in best.parameters.items())))
        rows.append(("best job", f"<code>{_e(best.job_id)}</code>"))
        if best.model_uri:
            rows.append(("best model", f"<code>{_e(best.model_uri)}</code>"))
    if d.parameter_importances:
        rows.append(("importance", ", ".join(f"{_e(k)} {v:.2f}" for k, v in
                                             sorted(d.parameter_importances.items(), key=lambda kv: -kv[1]))))
    rows.append(("MLflow parent run", f"<code>{_e(d.mlflow_parent_run_id)}</code>" if d.mlflow_parent_run_id else ""))
    maximize = d.objective.type is None or d.objective.type.value == "Maximize"
    scored = sorted((t for t in d.trials or [] if t.objective is not None), key=lambda t: t.objective or 0.0,
                    reverse=maximize)
    if scored:
        names = list(d.parameter_ranges)
        rows.append(("leaders", _grid(["trial", "status", "objective", *names], [
            [str(t.trial_number), _status(t.status.value), f"{t.objective:.6g}",
             *(_e(_short(t.parameters.get(n))) for n in names)] for t in scored[:leaders]])))
    return _rows(rows)


def tuning_list_html(items: Iterable[DescribeTuningJob]) -> str:
    return _grid(["tuning job", "name", "status", "strategy", "trials", "best"], [
        [f"<code>{_e(d.tuning_job_id)}</code>", f"<b>{_e(d.name)}</b>", _status(d.status.value), _e(d.strategy.value),
         f"{d.counts.total - d.counts.running}/{d.max_trials}", _best(d.best_trial)] for d in items])


def _best(trial: TuningTrial | None) -> str:
    return "" if trial is None or trial.objective is None else f"{trial.objective:.6g} (#{trial.trial_number})"


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def endpoint_html(d: DescribeEndpoint) -> str:
    variants = _grid(["variant", "model", "instance", "weight"],
                     [[_e(v.name), f"<code>{_e(v.model)}</code>", f"{_e(v.instance_type)} × {v.instance_count}",
                       f"{v.weight:g}"] for v in d.variants])
    return _rows([("endpoint", f"<b>{_e(d.name)}</b>"), ("status", _status(d.status.value)),
                  ("reason", _e(d.status_reason)), ("invoke", f"<code>{_e(d.invocation_url)}</code>"),
                  ("variants", variants)])


def algorithm_html(spec: AlgorithmSpec) -> str:
    properties = spec.hyperparameters.get("properties", {})
    hyperparameters = _grid(["hyperparameter", "type", "default", "range", "tunable"], [
        [f"<code>{_e(name)}</code>", _e(_type_of(p)), _e(p.get("default")), _e(_range_of(p)),
         "✓" if p.get("x-tunable") else ""] for name, p in properties.items()])
    return _rows([("algorithm", f"<b>{_e(spec.name)}</b>: {_e(spec.title)}"), ("use case", _e(spec.use_case)),
                  ("problems", _e(", ".join(spec.problem_types))), ("", ""),
                  ("about", _e(spec.description)),
                  ("channels", _e(", ".join(c.name + (" (required)" if c.required else "") for c in spec.channels))),
                  ("GPU / instances", f"{'GPU' if spec.supports_gpu else 'CPU'}; "
                                      f"{'several instances' if spec.supports_distributed else 'one instance'}"),
                  ("hyperparameters", hyperparameters)])


def catalog_html(specs: Iterable[AlgorithmSpec]) -> str:
    return _grid(["algorithm", "use case", "problems", "GPU", "instances", "about"], [
        [f"<b>{_e(s.name)}</b>", _e(s.use_case), _e(", ".join(s.problem_types)), "✓" if s.supports_gpu else "",
         "several" if s.supports_distributed else "one", _e(s.description)] for s in specs])


def _type_of(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return " | ".join(str(v) for v in prop["enum"])
    if "anyOf" in prop:
        return " | ".join(str(p.get("type", p.get("enum", ""))) for p in prop["anyOf"])
    return str(prop.get("type", ""))


def _range_of(prop: dict[str, Any]) -> str:
    candidates = [prop, *prop.get("anyOf", [])]
    low = next((p.get("minimum", p.get("exclusiveMinimum")) for p in candidates
                if "minimum" in p or "exclusiveMinimum" in p), None)
    high = next((p.get("maximum", p.get("exclusiveMaximum")) for p in candidates
                 if "maximum" in p or "exclusiveMaximum" in p), None)
    return f"[{low}, {high}]" if low is not None or high is not None else ""


class JobProgressBar:
    """A progress bar and a status line for one job, displayed once and updated in place."""

    def __init__(self) -> None:
        import ipywidgets
        from IPython.display import display

        self.started = time.monotonic()
        self.bar = ipywidgets.FloatProgress(min=0.0, max=100.0, value=0.0, bar_style="info",
                                            layout=ipywidgets.Layout(width="240px"))
        self.text = ipywidgets.HTML()
        display(ipywidgets.HBox([self.bar, self.text]))

    def update(self, d: DescribeJob) -> None:
        percent = d.progress.percent
        if d.status.is_terminal:
            self.bar.value = 100.0
            self.bar.bar_style = BAR_STYLES.get(d.status, "info")
        elif percent is not None:
            self.bar.value = float(percent)
        detail = []
        if d.progress.cells_total:
            detail.append(f"cell {d.progress.cells_done}/{d.progress.cells_total}")
        elif percent is not None and not d.status.is_terminal:
            detail.append(f"{percent:.0f}%")
        detail.append(f"{time.monotonic() - self.started:.0f} s")
        if d.status.is_terminal and d.status_reason:
            detail.append(_e(d.status_reason[:200]))
        self.text.value = f"{_e(d.name)} {_status(d.status.value)} · " + " · ".join(detail)


class TuningProgressBar:
    """A tuning job's trials ended out of max_trials, with the best objective so far."""

    def __init__(self) -> None:
        import ipywidgets
        from IPython.display import display

        self.started = time.monotonic()
        self.bar = ipywidgets.IntProgress(min=0, max=1, value=0, bar_style="info",
                                          layout=ipywidgets.Layout(width="240px"))
        self.text = ipywidgets.HTML()
        display(ipywidgets.HBox([self.bar, self.text]))

    def update(self, d: DescribeTuningJob) -> None:
        ended = d.counts.total - d.counts.running
        self.bar.max = max(d.max_trials, 1)
        self.bar.value = min(ended, self.bar.max)
        if d.status.is_terminal:
            self.bar.bar_style = BAR_STYLES.get(d.status, "info")
        detail = [f"{ended}/{d.max_trials} trials"]
        if d.counts.running and not d.status.is_terminal:
            detail.append(f"{d.counts.running} running")
        if d.best_trial is not None:
            detail.append(f"best {_e(_best(d.best_trial))}")
        detail.append(f"{time.monotonic() - self.started:.0f} s")
        if d.status.is_terminal and d.status_reason:
            detail.append(_e(d.status_reason[:200]))
        self.text.value = f"{_e(d.name)} {_status(d.status.value)} · " + " · ".join(detail)

    def close(self) -> None:
        """Nothing to do: the bar stays, showing how the search ended."""
