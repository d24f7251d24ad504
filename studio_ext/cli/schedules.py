"""`studio schedules create|list|describe|pause|resume|update|delete|runs`: job definitions."""

from __future__ import annotations

import json

import click

from ._common import (
    consoles,
    dump,
    fmt_duration,
    fmt_time,
    kv_table,
    list_table,
    options,
    studio_from,
    styled,
)
from .jobs import job_fields, job_options, progress_text

schedule_options = options(
    click.option("--timezone", help="IANA time zone of the cron expression (default UTC)."),
    click.option("--max-concurrent-runs", type=click.IntRange(1, 100), help="Runs allowed at once (default 1)."),
    click.option("--missed-run-policy", type=click.Choice(["skip", "run_once"]),
                 help="After downtime: skip missed ticks, or run once for all of them (default skip)."),
)


@click.group()
def schedules() -> None:
    """Create and manage schedules (job definitions)."""


@schedules.command("create")
@click.argument("name")
@click.argument("input", metavar="INPUT")
@click.option("-s", "--schedule", "--cron", "cron", required=True, metavar="CRON",
              help="Cron expression, 5 fields: minute hour day month weekday, e.g. '0 6 * * 1-5'.")
@schedule_options
@job_options
@click.option("--job-name", help="Name of the jobs it creates (default: NAME-<tick as YYYYMMDDHHMM>).")
@click.option("--paused", is_flag=True, help="Create it paused.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the schedule id.")
@click.pass_context
def schedules_create(ctx, name, input, cron, timezone, max_concurrent_runs, missed_run_policy, parameters,
                     instance_type, timeout_seconds, max_retries, environment, tags, experiment_name,
                     kind, job_name, paused, quiet):
    """Create schedule NAME that runs INPUT at each tick of --schedule."""
    s = studio_from(ctx).schedules.create(
        name, cron, input=input, timezone=timezone, max_concurrent_runs=max_concurrent_runs,
        missed_run_policy=missed_run_policy, job_name=job_name, paused=paused or None,
        **job_fields(parameters, instance_type, timeout_seconds, max_retries, environment, tags,
                     experiment_name, kind))
    if quiet:
        click.echo(s.job_definition_id)
    else:
        consoles.out.print(f"Created schedule [bold]{s.job_definition_id}[/] ({s.name}); next run {fmt_time(s.next_run_at)}")


@schedules.command("list")
@click.option("--name", help="Substring of the schedule name.")
@click.option("--paused/--active", default=None, help="Only paused (or only active) schedules.")
@click.option("-n", "--max-items", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def schedules_list(ctx, name, paused, max_items, as_json):
    """List schedules."""
    items = studio_from(ctx).schedules.list(name=name, paused=paused, max_items=max_items)
    if as_json:
        dump([s._description.model_dump(mode="json") for s in items])
        return
    table = list_table("ID", "NAME", "SCHEDULE", "TIMEZONE", "STATE", "INPUT", "NEXT RUN", "LAST RUN")
    for s in items:
        d = s._description
        table.add_row(d.job_definition_id, d.name, d.schedule, d.timezone,
                      "[yellow]paused[/]" if d.paused else "[green]active[/]", d.job.input,
                      fmt_time(d.next_run_at), fmt_time(d.last_run_at))
    consoles.out.print(table)
    if not items:
        consoles.out.print("No schedules.")


@schedules.command("describe")
@click.argument("job_definition_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def schedules_describe(ctx, job_definition_id, as_json):
    """Show one schedule and its job template."""
    d = studio_from(ctx).schedules.get(job_definition_id).describe()
    if as_json:
        dump(d.model_dump(mode="json"))
        return
    consoles.out.print(kv_table([
        ("Id", d.job_definition_id), ("Name", d.name), ("Schedule", d.schedule), ("Timezone", d.timezone),
        ("State", "paused" if d.paused else "active"), ("Max concurrent runs", str(d.max_concurrent_runs)),
        ("Missed-run policy", d.missed_run_policy.value), ("Next run", fmt_time(d.next_run_at)),
        ("Last run", fmt_time(d.last_run_at)), ("Input", d.job.input),
        ("Parameters", json.dumps(d.job.parameters) if d.job.parameters else "-"),
        ("Instance type", d.job.instance_type), ("Created", fmt_time(d.created_at)),
        ("Updated", fmt_time(d.updated_at)),
    ]))


@schedules.command("pause")
@click.argument("job_definition_id", metavar="ID")
@click.pass_context
def schedules_pause(ctx, job_definition_id):
    """Pause a schedule (no ticks fire until it is resumed)."""
    studio_from(ctx).schedules.pause(job_definition_id)
    consoles.out.print(f"Paused schedule {job_definition_id}")


@schedules.command("resume")
@click.argument("job_definition_id", metavar="ID")
@click.pass_context
def schedules_resume(ctx, job_definition_id):
    """Resume a paused schedule."""
    studio_from(ctx).schedules.resume(job_definition_id)
    consoles.out.print(f"Resumed schedule {job_definition_id}")


@schedules.command("update")
@click.argument("job_definition_id", metavar="ID")
@click.option("--name", help="New schedule name.")
@click.option("-s", "--schedule", "--cron", "cron", metavar="CRON", help="New cron expression.")
@schedule_options
@click.option("--input", "input_", metavar="INPUT", help="New notebook or script.")
@job_options
@click.option("--job-name", help="New name for the jobs it creates.")
@click.pass_context
def schedules_update(ctx, job_definition_id, name, cron, timezone, max_concurrent_runs, missed_run_policy,
                     input_, parameters, instance_type, timeout_seconds, max_retries, environment, tags,
                     experiment_name, kind, job_name):
    """Change the given fields of a schedule (job options merge into its job template)."""
    fields = job_fields(parameters, instance_type, timeout_seconds, max_retries, environment, tags,
                        experiment_name, kind)
    studio_from(ctx).schedules.update(job_definition_id, name=name, schedule=cron, timezone=timezone,
                                      max_concurrent_runs=max_concurrent_runs,
                                      missed_run_policy=missed_run_policy, input=input_, job_name=job_name,
                                      **fields)
    consoles.out.print(f"Updated schedule {job_definition_id}")


@schedules.command("delete")
@click.argument("job_definition_id", metavar="ID")
@click.pass_context
def schedules_delete(ctx, job_definition_id):
    """Delete a schedule (the jobs it created stay)."""
    studio_from(ctx).schedules.delete(job_definition_id)
    consoles.out.print(f"Deleted schedule {job_definition_id}")


@schedules.command("runs")
@click.argument("job_definition_id", metavar="ID")
@click.option("-n", "--max-items", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def schedules_runs(ctx, job_definition_id, max_items, as_json):
    """List the jobs a schedule created, newest first."""
    items = studio_from(ctx).schedules.runs(job_definition_id, max_items=max_items)
    if as_json:
        dump([job._description.model_dump(mode="json") for job in items])
        return
    table = list_table("JOB ID", "STATUS", "PROGRESS", "CREATED", "DURATION", "REASON")
    for job in items:
        d = job._description
        table.add_row(d.job_id, styled(d.status), progress_text(d), fmt_time(d.created_at),
                      fmt_duration(d.duration_seconds), d.status_reason or "")
    consoles.out.print(table)
    if not items:
        consoles.out.print("No runs yet.")
