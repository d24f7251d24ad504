"""`studio jobs run|wait|list|describe|logs|stop|delete|outputs|download`, and the job options."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click
from rich.progress import TextColumn

from ..sdk import DescribeJob, Job, JobStatus
from ._common import (
    EXIT_INTERRUPTED,
    EXIT_JOB_FAILED,
    consoles,
    dump,
    fmt_duration,
    fmt_time,
    follow,
    kv_table,
    list_table,
    options,
    pairs,
    parse_value,
    studio_from,
    styled,
)

# What a job is made of; `schedules create|update` take the same options for their job template.
job_options = options(
    click.option("-p", "--parameter", "parameters", type=(str, str), multiple=True, metavar="NAME VALUE",
                 help="A parameter; VALUE is parsed as JSON when it parses, else taken as a string. Repeatable."),
    click.option("--instance-type", help="Instance type (see `studio instance-types`; default local.small)."),
    click.option("--timeout", "timeout_seconds", type=click.IntRange(min=1), help="Job timeout in seconds (default 24 h)."),
    click.option("--retries", "max_retries", type=click.IntRange(0, 10), help="Retries after a failure (default 0)."),
    click.option("--env", "environment", multiple=True, metavar="KEY=VALUE", help="Environment variable for the job. Repeatable."),
    click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Tag. Repeatable."),
    click.option("--experiment", "experiment_name", help="MLflow experiment (default: the job's name)."),
    click.option("--kind", type=click.Choice(["notebook", "script"]), help="Default: from the file extension."),
)


def job_fields(parameters, instance_type, timeout_seconds, max_retries, environment, tags,
               experiment_name, kind) -> dict[str, Any]:
    """The values of `job_options` as SDK keyword arguments (None where not given)."""
    return {
        "parameters": {name: parse_value(value) for name, value in parameters} or None,
        "instance_type": instance_type, "timeout_seconds": timeout_seconds, "max_retries": max_retries,
        "environment": pairs(environment, "--env") or None, "tags": pairs(tags, "--tag") or None,
        "experiment_name": experiment_name, "kind": kind,
    }


def progress_text(d: DescribeJob) -> str:
    p = d.progress
    if p.cells_total:
        return f"{p.cells_done}/{p.cells_total} cells"
    if p.percent is not None:
        return f"{p.percent:.0f}%"
    return "-"


@click.group()
def jobs() -> None:
    """Run and inspect jobs."""


@jobs.command("run")
@click.argument("input", metavar="INPUT")
@job_options
@click.option("--name", help="Job name (default: the input file's name).")
@click.option("--instance-count", type=click.IntRange(1, 16),
              help="A script on this many instances: a torch.distributed group, one process each (default 1).")
@click.option("--wait", is_flag=True, help="Show a progress bar until the job ends; exit 1 unless it completes.")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between status checks with --wait.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the job id.")
@click.pass_context
def jobs_run(ctx, input, parameters, instance_type, timeout_seconds, max_retries, environment, tags,
             experiment_name, kind, name, instance_count, wait, poll, quiet):
    """Run INPUT (a notebook .ipynb or a script .py under the server root) as a job.

    \b
    Example: studio jobs run train.ipynb -p alpha 0.5 -p n 3 --instance-type local.medium --wait
    """
    studio = studio_from(ctx)
    job = studio.jobs.run(input, name=name, instance_count=instance_count, **job_fields(parameters, instance_type, timeout_seconds,
                                                         max_retries, environment, tags,
                                                         experiment_name, kind))
    if quiet:
        click.echo(job.job_id)
    else:
        consoles.out.print(f"Submitted job [bold]{job.job_id}[/]")
    if wait:
        _wait(job, poll, quiet)


def _wait(job: Job, poll: float, quiet: bool = False) -> None:
    """Follow a job with a progress bar; exit with the documented code."""

    def update(d: DescribeJob) -> dict[str, Any]:
        p = d.progress
        current = ""
        if p.current_cell is not None and not d.status.is_terminal:
            current = f"cell {p.current_cell}: {(p.current_cell_source or '')[:40]}"
        return {"description": styled(d.status), "total": p.cells_total or None,
                "completed": p.cells_done, "current": current}

    out = consoles.err if quiet else consoles.out
    follow(lambda on_update: job.wait(poll=poll, raise_on_failure=False, on_update=on_update), update,
           unit="cells", columns=[TextColumn("{task.fields[current]}")], console=out,
           interrupted=f"Interrupted; job {job.job_id} keeps running (`studio jobs stop {job.job_id}` stops it).",
           current="")
    d = job.describe()
    if d.status is JobStatus.COMPLETED:
        out.print(f"Job {d.job_id} {styled(d.status)} in {fmt_duration(d.duration_seconds)}")
        return
    consoles.err.print(f"Job {d.job_id} {styled(d.status)}: {d.status_reason or 'no reason given'}")
    if d.status is JobStatus.FAILED and d.progress.current_cell is not None and d.progress.current_cell_source:
        consoles.err.print(f"Failing cell {d.progress.current_cell}: {d.progress.current_cell_source}")
    sys.exit(EXIT_JOB_FAILED)


@jobs.command("wait")
@click.argument("job_id")
@click.option("--poll", type=float, default=1.0, show_default=True)
@click.pass_context
def jobs_wait(ctx, job_id, poll):
    """Show a progress bar until JOB_ID ends; exit 1 unless it completes."""
    _wait(studio_from(ctx).jobs.get(job_id), poll)


@jobs.command("list")
@click.option("--status", type=click.Choice([s.value for s in JobStatus]), help="Only jobs with this status.")
@click.option("--name", help="Substring of the job name.")
@click.option("--kind", type=click.Choice(["notebook", "script"]))
@click.option("--instance-type")
@click.option("--schedule", "job_definition_id", metavar="ID", help="Only jobs created by this schedule.")
@click.option("--sort-by", help="created_at, name, status, started_at, ended_at; '-' for descending.")
@click.option("-n", "--max-items", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def jobs_list(ctx, status, name, kind, instance_type, job_definition_id, sort_by, max_items, as_json):
    """List jobs, newest first."""
    items = studio_from(ctx).jobs.list(status=status, name=name, kind=kind, instance_type=instance_type,
                                       job_definition_id=job_definition_id, sort_by=sort_by,
                                       max_items=max_items)
    if as_json:
        dump([job._description.model_dump(mode="json") for job in items])
        return
    table = list_table("JOB ID", "NAME", "KIND", "STATUS", "PROGRESS", "INSTANCE TYPE", "CREATED", "DURATION")
    for job in items:
        d = job._description
        table.add_row(d.job_id, d.name, d.kind.value, styled(d.status), progress_text(d), d.instance_type,
                      fmt_time(d.created_at), fmt_duration(d.duration_seconds))
    consoles.out.print(table)
    if not items:
        consoles.out.print("No jobs.")


@jobs.command("describe")
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def jobs_describe(ctx, job_id, as_json):
    """Show one job: status, reason, progress, parameters, MLflow run, outputs."""
    d = studio_from(ctx).jobs.get(job_id).describe()
    if as_json:
        dump(d.model_dump(mode="json"))
        return
    rows = [
        ("Job id", d.job_id), ("Name", d.name), ("Kind", d.kind.value), ("Status", styled(d.status)),
        ("Reason", d.status_reason or "-"), ("Progress", progress_text(d)),
        ("Input", d.input), ("Instance type", d.instance_type),
        ("Parameters", json.dumps(d.parameters) if d.parameters else "-"),
        ("Attempt", f"{d.attempt} of {d.max_retries + 1}"), ("Timeout", f"{d.timeout_seconds} s"),
        ("Experiment", d.experiment_name), ("MLflow run", d.mlflow_run_id or "-"),
        ("Schedule", d.job_definition_id or "-"), ("Exit code", "-" if d.exit_code is None else str(d.exit_code)),
        ("Created", fmt_time(d.created_at)), ("Started", fmt_time(d.started_at)),
        ("Ended", fmt_time(d.ended_at)), ("Duration", fmt_duration(d.duration_seconds)),
        ("Outputs", ", ".join(o.name for o in d.outputs) or "-"),
    ]
    if d.progress.current_cell is not None:
        rows.insert(6, ("Current cell", f"{d.progress.current_cell}: {d.progress.current_cell_source or ''}"))
    if d.tags:
        rows.append(("Tags", ", ".join(f"{k}={v}" for k, v in d.tags.items())))
    consoles.out.print(kv_table(rows))


@jobs.command("logs")
@click.argument("job_id")
@click.option("-f", "--follow", "follow_", is_flag=True, help="Keep printing new output until the job ends.")
@click.pass_context
def jobs_logs(ctx, job_id, follow_):
    """Print the job's log."""
    job = studio_from(ctx).jobs.get(job_id)
    if not follow_:
        click.echo(job.logs(), nl=False)
        return
    try:
        for chunk in job.follow_logs():
            click.echo(chunk, nl=False)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)


@jobs.command("stop")
@click.argument("job_id")
@click.pass_context
def jobs_stop(ctx, job_id):
    """Stop a job (it goes through Stopping to Stopped)."""
    job = studio_from(ctx).jobs.get(job_id).stop()
    consoles.out.print(f"Job {job_id} {styled(job.status)}")


@jobs.command("delete")
@click.argument("job_id")
@click.pass_context
def jobs_delete(ctx, job_id):
    """Delete a finished job and its files."""
    studio_from(ctx).jobs.get(job_id).delete()
    consoles.out.print(f"Deleted job {job_id}")


@jobs.command("outputs")
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def jobs_outputs(ctx, job_id, as_json):
    """List the job's output files."""
    outputs = studio_from(ctx).jobs.get(job_id).outputs
    if as_json:
        dump([o.model_dump(mode="json") for o in outputs])
        return
    table = list_table("NAME", "KIND", "SIZE", id_width=12)
    for o in outputs:
        table.add_row(o.name, o.kind, f"{o.size:,}")
    consoles.out.print(table)


@jobs.command("download")
@click.argument("job_id")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("-d", "--dest", type=click.Path(file_okay=True), default=".", show_default=True,
              help="Folder (or file name, for one output) to write to.")
@click.pass_context
def jobs_download(ctx, job_id, names, dest):
    """Download outputs of JOB_ID (all of them when no NAME is given)."""
    job = studio_from(ctx).jobs.get(job_id)
    names = names or tuple(o.name for o in job.outputs)
    if len(names) > 1:
        os.makedirs(dest, exist_ok=True)
    for name in names:
        target = job.download(name, os.path.join(dest, name) if len(names) > 1 else dest)
        consoles.out.print(f"{name} -> {target}")
