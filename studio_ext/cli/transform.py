"""`studio transform-jobs create|list|describe|wait|delete`: batch transform with a registered model."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.progress import TextColumn

from ._common import (
    EXIT_JOB_FAILED,
    consoles,
    dump,
    fmt_time,
    follow,
    list_table,
    studio_from,
    styled,
)


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
    studio = studio_from(ctx)
    job = studio.transforms.create(model, input, output, format=fmt, join_input=join_input,
                                   instance_type=instance_type, chunk_mib=chunk_mib)
    consoles.out.print(f"Submitted transform job [bold]{job.transform_job_id}[/]")
    if wait:
        _wait(job)


def _wait(job) -> None:
    """Follow a transform job with a progress bar; exit with the documented code."""

    def update(d) -> dict[str, Any]:
        return {"description": styled(d.status), "total": d.files_total or None,
                "completed": d.files_done, "rows": d.rows_done}

    d = follow(lambda on_update: job.wait(raise_on_failure=False, on_update=on_update), update,
               unit="files", columns=[TextColumn("{task.fields[rows]:,} rows")],
               console=consoles.out,
               interrupted=f"Interrupted; transform job {job.transform_job_id} keeps running.", rows=0)
    if d.status.value == "Completed":
        consoles.out.print(f"Transform job {d.transform_job_id} {styled(d.status)}: {d.rows_done:,} rows "
                           f"-> {', '.join(d.outputs)}")
        return
    consoles.err.print(f"Transform job {d.transform_job_id} {styled(d.status)}: "
                       f"{d.status_reason or 'no reason given'}")
    sys.exit(EXIT_JOB_FAILED)


@transform_jobs.command("wait")
@click.argument("transform_job_id")
@click.pass_context
def transform_wait(ctx, transform_job_id):
    """Show progress until TRANSFORM_JOB_ID ends; exit 1 unless it completes."""
    _wait(studio_from(ctx).transforms.job(transform_job_id))


@transform_jobs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def transform_list(ctx, as_json):
    """List transform jobs, newest first."""
    items = studio_from(ctx).transforms.list()
    if as_json:
        dump([d.model_dump(mode="json") for d in items])
        return
    table = list_table("TRANSFORM JOB", "STATUS", "MODEL", "INPUT", "ROWS", "CREATED", id_width=16)
    for d in items:
        table.add_row(d.transform_job_id, styled(d.status), d.model, d.input, f"{d.rows_done:,}",
                      fmt_time(d.created_at))
    consoles.out.print(table)


@transform_jobs.command("describe")
@click.argument("transform_job_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def transform_describe(ctx, transform_job_id, as_json):
    """Status (with the bad row's location when it failed), progress and outputs."""
    d = studio_from(ctx).transforms.get(transform_job_id)
    if as_json:
        dump(d.model_dump(mode="json"))
        return
    rows = [("Status", styled(d.status)), ("Reason", d.status_reason or "-"),
            ("Model", f"{d.model} (version {d.model_version or '-'})"), ("Input", d.input), ("Output", d.output),
            ("Progress", f"{d.files_done}/{d.files_total} files, {d.rows_done:,} rows"),
            ("Instance type", d.instance_type), ("Created", fmt_time(d.created_at)),
            ("Outputs", "\n".join(d.outputs) or "-")]
    table = list_table("FIELD", "VALUE", id_width=14)
    for key, value in rows:
        table.add_row(key, value)
    consoles.out.print(table)


@transform_jobs.command("delete")
@click.argument("transform_job_id")
@click.pass_context
def transform_delete(ctx, transform_job_id):
    """Stop TRANSFORM_JOB_ID if it runs and forget it (its output files stay)."""
    studio_from(ctx).transforms.delete(transform_job_id)
    consoles.out.print(f"{transform_job_id}: deleted")
