"""`studio transform-jobs create|list|describe|wait|delete`: batch transform over the SDK (registered by cli.py)."""

from __future__ import annotations

import sys
from types import ModuleType

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

base: ModuleType  # the `studio` CLI module (console, tables, helpers), given to register()


@click.group("transform-jobs")
def transform_jobs() -> None:
    """Batch transform: score CSV, JSON Lines or Parquet files with a registered model."""


@transform_jobs.command("create")
@click.argument("model")
@click.argument("input")
@click.option("--output", help="Folder for the <stem>.out.<ext> files (default transform-output/<id>).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet"]), help="Default: each file's extension.")
@click.option("--join", "join_input", is_flag=True, help="Write the input columns before the prediction.")
@click.option("--instance-type", default="local.medium", show_default=True, help="Its vCPUs are the worker processes.")
@click.option("--chunk-mib", type=float, default=8.0, show_default=True)
@click.option("--wait", is_flag=True, help="Show progress until it ends; exit 1 unless it completes.")
@click.pass_context
def transform_create(ctx, model, input, output, fmt, join_input, instance_type, chunk_mib, wait):
    """Score INPUT (a file or folder under the server root) with MODEL (models:/<name>/<version> or @alias)."""
    studio = base._studio(ctx)
    job = studio.transforms.create(model, input, output, format=fmt, join_input=join_input,
                                   instance_type=instance_type, chunk_mib=chunk_mib)
    base.console.print(f"Submitted transform job [bold]{job.transform_job_id}[/]")
    if wait:
        _wait(job)


def _wait(job) -> None:
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("files"), TextColumn("{task.fields[rows]:,} rows"), TimeElapsedColumn()]
    progress = Progress(*columns, console=base.console, transient=False)
    task = progress.add_task("Queued", total=None, rows=0)

    def update(d) -> None:
        progress.update(task, description=base._status(d.status), total=d.files_total or None,
                        completed=d.files_done, rows=d.rows_done)

    try:
        with progress:
            d = job.wait(raise_on_failure=False, on_update=update)
    except KeyboardInterrupt:
        base.err_console.print(f"Interrupted; transform job {job.transform_job_id} keeps running.")
        sys.exit(base.EXIT_INTERRUPTED)
    if d.status.value == "Completed":
        base.console.print(f"Transform job {d.transform_job_id} {base._status(d.status)}: {d.rows_done:,} rows "
                           f"-> {', '.join(d.outputs)}")
        return
    base.err_console.print(f"Transform job {d.transform_job_id} {base._status(d.status)}: "
                           f"{d.status_reason or 'no reason given'}")
    sys.exit(base.EXIT_JOB_FAILED)


@transform_jobs.command("wait")
@click.argument("transform_job_id")
@click.pass_context
def transform_wait(ctx, transform_job_id):
    """Show progress until TRANSFORM_JOB_ID ends; exit 1 unless it completes."""
    _wait(base._studio(ctx).transforms.job(transform_job_id))


@transform_jobs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def transform_list(ctx, as_json):
    """List transform jobs, newest first."""
    items = base._studio(ctx).transforms.list()
    if as_json:
        base._dump([d.model_dump(mode="json") for d in items])
        return
    table = base._table("TRANSFORM JOB", "STATUS", "MODEL", "INPUT", "ROWS", "CREATED", id_width=16)
    for d in items:
        table.add_row(d.transform_job_id, base._status(d.status), d.model, d.input, f"{d.rows_done:,}",
                      base._fmt_time(d.created_at))
    base.console.print(table)


@transform_jobs.command("describe")
@click.argument("transform_job_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def transform_describe(ctx, transform_job_id, as_json):
    """Status (with the bad row's location when it failed), progress and outputs."""
    d = base._studio(ctx).transforms.get(transform_job_id)
    if as_json:
        base._dump(d.model_dump(mode="json"))
        return
    rows = [("Status", base._status(d.status)), ("Reason", d.status_reason or "-"),
            ("Model", f"{d.model} (version {d.model_version or '-'})"), ("Input", d.input), ("Output", d.output),
            ("Progress", f"{d.files_done}/{d.files_total} files, {d.rows_done:,} rows"),
            ("Instance type", d.instance_type), ("Created", base._fmt_time(d.created_at)),
            ("Outputs", "\n".join(d.outputs) or "-")]
    table = base._table("FIELD", "VALUE", id_width=14)
    for key, value in rows:
        table.add_row(key, value)
    base.console.print(table)


@transform_jobs.command("delete")
@click.argument("transform_job_id")
@click.pass_context
def transform_delete(ctx, transform_job_id):
    """Stop TRANSFORM_JOB_ID if it runs and forget it (its output files stay)."""
    base._studio(ctx).transforms.delete(transform_job_id)
    base.console.print(f"{transform_job_id}: deleted")


def register(cli: click.Group, helpers: ModuleType) -> None:
    global base
    base = helpers
    cli.add_command(transform_jobs)
