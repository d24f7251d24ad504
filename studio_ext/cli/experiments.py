"""`studio experiments list|runs` and `studio runs describe|compare`: MLflow experiments and runs."""

from __future__ import annotations

import click
from rich.table import Table

from ._common import (
    consoles,
    dump,
    fmt_duration,
    fmt_time,
    kv_table,
    list_table,
    studio_from,
    styled,
)

RUN_STATUS_STYLE = {"RUNNING": "blue", "SCHEDULED": "dim", "FINISHED": "green", "FAILED": "bold red",
                    "KILLED": "yellow"}


def _run_status(status: str) -> str:
    return styled(status, RUN_STATUS_STYLE)


def _num(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@click.group()
def experiments() -> None:
    """MLflow experiments and their runs."""


@experiments.command("list")
@click.option("--name", help="Substring of the experiment name.")
@click.option("-n", "--max-items", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def experiments_list(ctx, name, max_items, as_json):
    """List experiments."""
    items = studio_from(ctx).experiments.list(name=name, max_items=max_items)
    if as_json:
        dump([e.model_dump(mode="json") for e in items])
        return
    table = list_table("ID", "NAME", "CREATED", "UPDATED", id_width=4)
    for e in items:
        table.add_row(e.experiment_id, e.name, fmt_time(e.creation_time), fmt_time(e.last_update_time))
    consoles.out.print(table)
    if not items:
        consoles.out.print("No experiments.")


@experiments.command("runs")
@click.argument("experiment_id")
@click.option("--filter", "filter_", metavar="EXPR", help="MLflow search syntax, e.g. \"metrics.acc > 0.9\".")
@click.option("--order-by", metavar="KEY", help="e.g. \"metrics.acc DESC\"; comma-separated for several.")
@click.option("--param", "params", multiple=True, metavar="NAME", help="Param column to show (default: all). Repeatable.")
@click.option("--metric", "metrics", multiple=True, metavar="NAME", help="Metric column to show (default: all). Repeatable.")
@click.option("-n", "--max-items", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def experiments_runs(ctx, experiment_id, filter_, order_by, params, metrics, max_items, as_json):
    """The runs of an experiment, with their params and latest metrics as columns."""
    runs = studio_from(ctx).experiments.runs(experiment_id, filter=filter_, order_by=order_by, max_items=max_items)
    if as_json:
        dump([r.model_dump(mode="json") for r in runs])
        return
    param_keys = list(params) or sorted({k for r in runs for k in r.params})[:8]
    metric_keys = list(metrics) or sorted({k for r in runs for k in r.metrics})[:8]
    table = list_table("RUN ID", "NAME", "STATUS", "STARTED", "DURATION", "JOB",
                       *[f"p:{k}" for k in param_keys], *[f"m:{k}" for k in metric_keys])
    for r in runs:
        table.add_row(r.run_id, r.name or "-", _run_status(r.status), fmt_time(r.start_time),
                      fmt_duration(r.duration_seconds), r.job_id or "-",
                      *[r.params.get(k, "-") for k in param_keys], *[_num(r.metrics.get(k)) for k in metric_keys])
    consoles.out.print(table)
    if not runs:
        consoles.out.print("No runs.")


@click.group()
def runs() -> None:
    """One MLflow run: details, comparison."""


@runs.command("describe")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def runs_describe(ctx, run_id, as_json):
    """Params, metrics, tags, artifacts root and the job of a run."""
    r = studio_from(ctx).runs.get(run_id)
    if as_json:
        dump(r.model_dump(mode="json"))
        return
    rows = [("Run id", r.run_id), ("Name", r.name or "-"), ("Experiment", r.experiment_id),
            ("Status", _run_status(r.status)), ("Started", fmt_time(r.start_time)),
            ("Ended", fmt_time(r.end_time)), ("Duration", fmt_duration(r.duration_seconds)),
            ("Job", r.job_id or "-"), ("Artifacts", r.artifact_uri or "-")]
    if r.job_notebook:
        rows.append(("Executed notebook", r.job_notebook))
    if r.reproduces_job_id:
        rows.append(("Reproduces", f"job {r.reproduces_job_id}, run {r.reproduces_run_id or '-'}"))
    rows += [(f"param {k}", v) for k, v in sorted(r.params.items())]
    rows += [(f"metric {k}", _num(v)) for k, v in sorted(r.metrics.items())]
    rows += [(f"tag {k}", v) for k, v in sorted(r.tags.items()) if not k.startswith("mlflow.")]
    consoles.out.print(kv_table(rows))


@runs.command("compare")
@click.argument("run_ids", nargs=-1, required=True)
@click.option("--all", "show_all", is_flag=True, help="Show rows that are equal across runs too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def runs_compare(ctx, run_ids, show_all, as_json):
    """Params and metrics of two or more runs side by side (differences in bold)."""
    result = studio_from(ctx).runs.compare(list(run_ids))
    if as_json:
        dump(result.model_dump(mode="json"))
        return
    table = Table(box=None, header_style="bold")
    table.add_column("KEY", no_wrap=True)
    for run in result.runs:
        table.add_column(f"{run.name or run.run_id[:8]}\n{run.run_id}", no_wrap=True)
    for label, rows in (("param", result.params), ("metric", result.metrics)):
        for row in rows:
            if not (row.differs or show_all):
                continue
            values = [_num(v) for v in row.values]
            if row.differs:
                values = [f"[bold yellow]{v}[/]" for v in values]
            table.add_row(f"{label} {row.key}", *values)
    consoles.out.print(table)
