"""The `studio` command: a thin layer over the SDK (and `studio agent`, which runs the agent).

Exit codes: 0 success; 1 the job failed or was stopped (`jobs run --wait`, `jobs wait`);
2 bad usage; 3 the server refused the request (bad input, not found, conflict); 4 the server is
unreachable, refused the credentials or failed; 130 interrupted (the job keeps running).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from .sdk import (
    AccessDenied,
    DescribeJob,
    Job,
    JobFailed,
    JobStatus,
    ServiceUnavailable,
    Studio,
    StudioError,
    config_path,
)

EXIT_JOB_FAILED = 1
EXIT_REFUSED = 3
EXIT_UNAVAILABLE = 4
EXIT_INTERRUPTED = 130

STATUS_STYLE = {
    "Queued": "dim", "Starting": "cyan", "InProgress": "blue", "Completed": "green",
    "Failed": "bold red", "Stopping": "yellow", "Stopped": "yellow",
}

# Replaced per invocation by _make_consoles(): output that is piped or captured gets wide tables
# instead of rich's 80-column default, so ids and names stay whole for grep and scripts.
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def _make_consoles() -> None:
    global console, err_console
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    err_console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 200)


class StudioCLIError(click.ClickException):
    """A StudioError shown as `Error: <message>` with the documented exit code."""

    def __init__(self, error: StudioError):
        super().__init__(error.message)
        if isinstance(error, ServiceUnavailable | AccessDenied) or error.error_code in (
                "Unauthorized", "InternalError") or error.http_status >= 500:
            self.exit_code = EXIT_UNAVAILABLE
        else:
            self.exit_code = EXIT_REFUSED


class StudioGroup(click.Group):
    """Turns every StudioError raised by a subcommand into a clean message and exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except JobFailed as error:
            err_console.print(f"Error: {error.message}")
            sys.exit(EXIT_JOB_FAILED)
        except StudioError as error:
            raise StudioCLIError(error) from None


def _studio(ctx: click.Context) -> Studio:
    obj = ctx.find_root().obj
    if obj.get("studio") is None:
        obj["studio"] = Studio(url=obj.get("url"), token=obj.get("token"))
    return obj["studio"]


def _parse_value(text: str) -> Any:
    """JSON when it parses (0.5, 3, true, [1, 2], {"a": 1}, "quoted"), else the string itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _pairs(items: tuple[str, ...], option: str) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=option)
        out[key] = value
    return out


def _table(*columns: str, id_width: int = 32) -> Table:
    """A plain table whose first column (an id) is never cut: people copy ids into the next command."""
    table = Table(box=None, header_style="bold")
    table.add_column(columns[0], no_wrap=True, min_width=id_width)
    for column in columns[1:]:
        table.add_column(column)
    return table


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def _fmt_time(value: Any) -> str:
    if value is None:
        return "-"
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{s}s"


def _status(status: JobStatus | str) -> str:
    value = getattr(status, "value", status)
    return f"[{STATUS_STYLE.get(value, '')}]{value}[/]"


def _progress_text(d: DescribeJob) -> str:
    p = d.progress
    if p.cells_total:
        return f"{p.cells_done}/{p.cells_total} cells"
    if p.percent is not None:
        return f"{p.percent:.0f}%"
    return "-"


# --------------------------------------------------------------------------- root


@click.group(cls=StudioGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--url", metavar="URL", help="Server URL (default: $STUDIO_URL, the config file, or a running Jupyter server).")
@click.option("--token", metavar="TOKEN", help="Jupyter token (default: $STUDIO_TOKEN or the config file).")
@click.version_option(package_name="studio_ext", prog_name="studio")
@click.pass_context
def cli(ctx: click.Context, url: str | None, token: str | None) -> None:
    """studio: run notebooks and scripts as jobs, schedule them, and inspect them.

    \b
    Exit codes:
      0  success
      1  the job failed or was stopped (jobs run --wait, jobs wait)
      2  bad usage
      3  the server refused the request (bad input, not found, conflict)
      4  the server is unreachable, refused the credentials, or failed
    """
    _make_consoles()
    ctx.ensure_object(dict)
    ctx.obj.update(url=url, token=token, studio=None)


# --------------------------------------------------------------------------- jobs


@cli.group()
def jobs() -> None:
    """Run and inspect jobs."""


_JOB_OPTIONS = [
    click.option("-p", "--parameter", "parameters", type=(str, str), multiple=True, metavar="NAME VALUE",
                 help="A parameter; VALUE is parsed as JSON when it parses, else taken as a string. Repeatable."),
    click.option("--instance-type", help="Instance type (see `studio instance-types`; default local.small)."),
    click.option("--timeout", "timeout_seconds", type=click.IntRange(min=1), help="Job timeout in seconds (default 24 h)."),
    click.option("--retries", "max_retries", type=click.IntRange(0, 10), help="Retries after a failure (default 0)."),
    click.option("--env", "environment", multiple=True, metavar="KEY=VALUE", help="Environment variable for the job. Repeatable."),
    click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Tag. Repeatable."),
    click.option("--experiment", "experiment_name", help="MLflow experiment (default: the job's name)."),
    click.option("--kind", type=click.Choice(["notebook", "script"]), help="Default: from the file extension."),
]


def _job_options(func):
    for option in reversed(_JOB_OPTIONS):
        func = option(func)
    return func


def _job_fields(parameters, instance_type, timeout_seconds, max_retries, environment, tags,
                experiment_name, kind) -> dict[str, Any]:
    return {
        "parameters": {name: _parse_value(value) for name, value in parameters} or None,
        "instance_type": instance_type, "timeout_seconds": timeout_seconds, "max_retries": max_retries,
        "environment": _pairs(environment, "--env") or None, "tags": _pairs(tags, "--tag") or None,
        "experiment_name": experiment_name, "kind": kind,
    }


@jobs.command("run")
@click.argument("input", metavar="INPUT")
@_job_options
@click.option("--name", help="Job name (default: the input file's name).")
@click.option("--wait", is_flag=True, help="Show a progress bar until the job ends; exit 1 unless it completes.")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between status checks with --wait.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the job id.")
@click.pass_context
def jobs_run(ctx, input, parameters, instance_type, timeout_seconds, max_retries, environment, tags,
             experiment_name, kind, name, wait, poll, quiet):
    """Run INPUT (a notebook .ipynb or a script .py under the server root) as a job.

    \b
    Example: studio jobs run train.ipynb -p alpha 0.5 -p n 3 --instance-type local.medium --wait
    """
    studio = _studio(ctx)
    job = studio.jobs.run(input, name=name, **_job_fields(parameters, instance_type, timeout_seconds,
                                                          max_retries, environment, tags,
                                                          experiment_name, kind))
    if quiet:
        click.echo(job.job_id)
    else:
        console.print(f"Submitted job [bold]{job.job_id}[/]")
    if wait:
        _wait(job, poll, quiet)


def _wait(job: Job, poll: float, quiet: bool = False) -> None:
    """Follow a job with a progress bar; exit with the documented code."""
    columns = [SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("cells"), TextColumn("{task.fields[current]}"), TimeElapsedColumn()]
    progress = Progress(*columns, console=err_console if quiet else console, transient=False)
    task = progress.add_task("Queued", total=None, current="")

    def update(d: DescribeJob) -> None:
        p = d.progress
        current = ""
        if p.current_cell is not None and not d.status.is_terminal:
            current = f"cell {p.current_cell}: {(p.current_cell_source or '')[:40]}"
        progress.update(task, description=_status(d.status), total=p.cells_total or None,
                        completed=p.cells_done, current=current)

    try:
        with progress:
            job.wait(poll=poll, raise_on_failure=False, on_update=update)
    except KeyboardInterrupt:
        err_console.print(f"Interrupted; job {job.job_id} keeps running (`studio jobs stop {job.job_id}` stops it).")
        sys.exit(EXIT_INTERRUPTED)
    d = job.describe()
    out = err_console if quiet else console
    if d.status is JobStatus.COMPLETED:
        out.print(f"Job {d.job_id} {_status(d.status)} in {_fmt_duration(d.duration_seconds)}")
        return
    err_console.print(f"Job {d.job_id} {_status(d.status)}: {d.status_reason or 'no reason given'}")
    if d.status is JobStatus.FAILED and d.progress.current_cell is not None and d.progress.current_cell_source:
        err_console.print(f"Failing cell {d.progress.current_cell}: {d.progress.current_cell_source}")
    sys.exit(EXIT_JOB_FAILED)


@jobs.command("wait")
@click.argument("job_id")
@click.option("--poll", type=float, default=1.0, show_default=True)
@click.pass_context
def jobs_wait(ctx, job_id, poll):
    """Show a progress bar until JOB_ID ends; exit 1 unless it completes."""
    _wait(_studio(ctx).jobs.get(job_id), poll)


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
    items = _studio(ctx).jobs.list(status=status, name=name, kind=kind, instance_type=instance_type,
                                   job_definition_id=job_definition_id, sort_by=sort_by,
                                   max_items=max_items)
    if as_json:
        _dump([job._description.model_dump(mode="json") for job in items])
        return
    table = _table("JOB ID", "NAME", "KIND", "STATUS", "PROGRESS", "INSTANCE TYPE", "CREATED", "DURATION")
    for job in items:
        d = job._description
        table.add_row(d.job_id, d.name, d.kind.value, _status(d.status), _progress_text(d), d.instance_type,
                      _fmt_time(d.created_at), _fmt_duration(d.duration_seconds))
    console.print(table)
    if not items:
        console.print("No jobs.")


@jobs.command("describe")
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def jobs_describe(ctx, job_id, as_json):
    """Show one job: status, reason, progress, parameters, MLflow run, outputs."""
    d = _studio(ctx).jobs.get(job_id).describe()
    if as_json:
        _dump(d.model_dump(mode="json"))
        return
    table = Table(box=None, show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    rows = [
        ("Job id", d.job_id), ("Name", d.name), ("Kind", d.kind.value), ("Status", _status(d.status)),
        ("Reason", d.status_reason or "-"), ("Progress", _progress_text(d)),
        ("Input", d.input), ("Instance type", d.instance_type),
        ("Parameters", json.dumps(d.parameters) if d.parameters else "-"),
        ("Attempt", f"{d.attempt} of {d.max_retries + 1}"), ("Timeout", f"{d.timeout_seconds} s"),
        ("Experiment", d.experiment_name), ("MLflow run", d.mlflow_run_id or "-"),
        ("Schedule", d.job_definition_id or "-"), ("Exit code", "-" if d.exit_code is None else str(d.exit_code)),
        ("Created", _fmt_time(d.created_at)), ("Started", _fmt_time(d.started_at)),
        ("Ended", _fmt_time(d.ended_at)), ("Duration", _fmt_duration(d.duration_seconds)),
        ("Outputs", ", ".join(o.name for o in d.outputs) or "-"),
    ]
    if d.progress.current_cell is not None:
        rows.insert(6, ("Current cell", f"{d.progress.current_cell}: {d.progress.current_cell_source or ''}"))
    if d.tags:
        rows.append(("Tags", ", ".join(f"{k}={v}" for k, v in d.tags.items())))
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


@jobs.command("logs")
@click.argument("job_id")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new output until the job ends.")
@click.pass_context
def jobs_logs(ctx, job_id, follow):
    """Print the job's log."""
    job = _studio(ctx).jobs.get(job_id)
    if not follow:
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
    job = _studio(ctx).jobs.get(job_id).stop()
    console.print(f"Job {job_id} {_status(job.status)}")


@jobs.command("delete")
@click.argument("job_id")
@click.pass_context
def jobs_delete(ctx, job_id):
    """Delete a finished job and its files."""
    _studio(ctx).jobs.get(job_id).delete()
    console.print(f"Deleted job {job_id}")


@jobs.command("outputs")
@click.argument("job_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def jobs_outputs(ctx, job_id, as_json):
    """List the job's output files."""
    outputs = _studio(ctx).jobs.get(job_id).outputs
    if as_json:
        _dump([o.model_dump(mode="json") for o in outputs])
        return
    table = _table("NAME", "KIND", "SIZE", id_width=12)
    for o in outputs:
        table.add_row(o.name, o.kind, f"{o.size:,}")
    console.print(table)


@jobs.command("download")
@click.argument("job_id")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("-d", "--dest", type=click.Path(file_okay=True), default=".", show_default=True,
              help="Folder (or file name, for one output) to write to.")
@click.pass_context
def jobs_download(ctx, job_id, names, dest):
    """Download outputs of JOB_ID (all of them when no NAME is given)."""
    job = _studio(ctx).jobs.get(job_id)
    names = names or tuple(o.name for o in job.outputs)
    if len(names) > 1:
        os.makedirs(dest, exist_ok=True)
    for name in names:
        target = job.download(name, os.path.join(dest, name) if len(names) > 1 else dest)
        console.print(f"{name} -> {target}")


# --------------------------------------------------------------------------- schedules


@cli.group()
def schedules() -> None:
    """Create and manage schedules (job definitions)."""


_SCHEDULE_OPTIONS = [
    click.option("--timezone", help="IANA time zone of the cron expression (default UTC)."),
    click.option("--max-concurrent-runs", type=click.IntRange(1, 100), help="Runs allowed at once (default 1)."),
    click.option("--missed-run-policy", type=click.Choice(["skip", "run_once"]),
                 help="After downtime: skip missed ticks, or run once for all of them (default skip)."),
]


def _schedule_options(func):
    for option in reversed(_SCHEDULE_OPTIONS):
        func = option(func)
    return func


def _print_schedules(items) -> None:
    table = _table("ID", "NAME", "SCHEDULE", "TIMEZONE", "STATE", "INPUT", "NEXT RUN", "LAST RUN")
    for s in items:
        d = s._description
        table.add_row(d.job_definition_id, d.name, d.schedule, d.timezone,
                      "[yellow]paused[/]" if d.paused else "[green]active[/]", d.job.input,
                      _fmt_time(d.next_run_at), _fmt_time(d.last_run_at))
    console.print(table)
    if not items:
        console.print("No schedules.")


@schedules.command("create")
@click.argument("name")
@click.argument("input", metavar="INPUT")
@click.option("-s", "--schedule", "--cron", "cron", required=True, metavar="CRON",
              help="Cron expression, 5 fields: minute hour day month weekday, e.g. '0 6 * * 1-5'.")
@_schedule_options
@_job_options
@click.option("--job-name", help="Name of the jobs it creates (default: NAME-<tick as YYYYMMDDHHMM>).")
@click.option("--paused", is_flag=True, help="Create it paused.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the schedule id.")
@click.pass_context
def schedules_create(ctx, name, input, cron, timezone, max_concurrent_runs, missed_run_policy, parameters,
                     instance_type, timeout_seconds, max_retries, environment, tags, experiment_name,
                     kind, job_name, paused, quiet):
    """Create schedule NAME that runs INPUT at each tick of --schedule."""
    s = _studio(ctx).schedules.create(
        name, cron, input=input, timezone=timezone, max_concurrent_runs=max_concurrent_runs,
        missed_run_policy=missed_run_policy, job_name=job_name, paused=paused or None,
        **_job_fields(parameters, instance_type, timeout_seconds, max_retries, environment, tags,
                      experiment_name, kind))
    if quiet:
        click.echo(s.job_definition_id)
    else:
        console.print(f"Created schedule [bold]{s.job_definition_id}[/] ({s.name}); next run {_fmt_time(s.next_run_at)}")


@schedules.command("list")
@click.option("--name", help="Substring of the schedule name.")
@click.option("--paused/--active", default=None, help="Only paused (or only active) schedules.")
@click.option("-n", "--max-items", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def schedules_list(ctx, name, paused, max_items, as_json):
    """List schedules."""
    items = _studio(ctx).schedules.list(name=name, paused=paused, max_items=max_items)
    if as_json:
        _dump([s._description.model_dump(mode="json") for s in items])
    else:
        _print_schedules(items)


@schedules.command("describe")
@click.argument("job_definition_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def schedules_describe(ctx, job_definition_id, as_json):
    """Show one schedule and its job template."""
    d = _studio(ctx).schedules.get(job_definition_id).describe()
    if as_json:
        _dump(d.model_dump(mode="json"))
        return
    table = Table(box=None, show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in [
        ("Id", d.job_definition_id), ("Name", d.name), ("Schedule", d.schedule), ("Timezone", d.timezone),
        ("State", "paused" if d.paused else "active"), ("Max concurrent runs", str(d.max_concurrent_runs)),
        ("Missed-run policy", d.missed_run_policy.value), ("Next run", _fmt_time(d.next_run_at)),
        ("Last run", _fmt_time(d.last_run_at)), ("Input", d.job.input),
        ("Parameters", json.dumps(d.job.parameters) if d.job.parameters else "-"),
        ("Instance type", d.job.instance_type), ("Created", _fmt_time(d.created_at)),
        ("Updated", _fmt_time(d.updated_at)),
    ]:
        table.add_row(key, value)
    console.print(table)


@schedules.command("pause")
@click.argument("job_definition_id", metavar="ID")
@click.pass_context
def schedules_pause(ctx, job_definition_id):
    """Pause a schedule (no ticks fire until it is resumed)."""
    _studio(ctx).schedules.pause(job_definition_id)
    console.print(f"Paused schedule {job_definition_id}")


@schedules.command("resume")
@click.argument("job_definition_id", metavar="ID")
@click.pass_context
def schedules_resume(ctx, job_definition_id):
    """Resume a paused schedule."""
    _studio(ctx).schedules.resume(job_definition_id)
    console.print(f"Resumed schedule {job_definition_id}")


@schedules.command("update")
@click.argument("job_definition_id", metavar="ID")
@click.option("--name", help="New schedule name.")
@click.option("-s", "--schedule", "--cron", "cron", metavar="CRON", help="New cron expression.")
@_schedule_options
@click.option("--input", "input_", metavar="INPUT", help="New notebook or script.")
@_job_options
@click.option("--job-name", help="New name for the jobs it creates.")
@click.pass_context
def schedules_update(ctx, job_definition_id, name, cron, timezone, max_concurrent_runs, missed_run_policy,
                     input_, parameters, instance_type, timeout_seconds, max_retries, environment, tags,
                     experiment_name, kind, job_name):
    """Change the given fields of a schedule (job options merge into its job template)."""
    fields = _job_fields(parameters, instance_type, timeout_seconds, max_retries, environment, tags,
                         experiment_name, kind)
    _studio(ctx).schedules.update(job_definition_id, name=name, schedule=cron, timezone=timezone,
                                  max_concurrent_runs=max_concurrent_runs,
                                  missed_run_policy=missed_run_policy, input=input_, job_name=job_name,
                                  **fields)
    console.print(f"Updated schedule {job_definition_id}")


@schedules.command("delete")
@click.argument("job_definition_id", metavar="ID")
@click.pass_context
def schedules_delete(ctx, job_definition_id):
    """Delete a schedule (the jobs it created stay)."""
    _studio(ctx).schedules.delete(job_definition_id)
    console.print(f"Deleted schedule {job_definition_id}")


@schedules.command("runs")
@click.argument("job_definition_id", metavar="ID")
@click.option("-n", "--max-items", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def schedules_runs(ctx, job_definition_id, max_items, as_json):
    """List the jobs a schedule created, newest first."""
    items = _studio(ctx).schedules.runs(job_definition_id, max_items=max_items)
    if as_json:
        _dump([job._description.model_dump(mode="json") for job in items])
        return
    table = _table("JOB ID", "STATUS", "PROGRESS", "CREATED", "DURATION", "REASON")
    for job in items:
        d = job._description
        table.add_row(d.job_id, _status(d.status), _progress_text(d), _fmt_time(d.created_at),
                      _fmt_duration(d.duration_seconds), d.status_reason or "")
    console.print(table)
    if not items:
        console.print("No runs yet.")


# --------------------------------------------------------------------------- server


@cli.command("instance-types")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def instance_types(ctx, as_json):
    """List the instance types jobs can run on."""
    items = _studio(ctx).instance_types()
    if as_json:
        _dump([i.model_dump(mode="json") for i in items])
        return
    table = _table("NAME", "VCPUS", "MEMORY", "GPUS", "PRICE/H", "SLOTS", "DESCRIPTION", id_width=12)
    for i in items:
        table.add_row(i.name, str(i.vcpus), f"{i.memory_mib} MiB", str(i.gpus), f"{i.price_per_hour:.2f}",
                      str(i.max_concurrent), i.description)
    console.print(table)


@cli.command("config")
@click.option("--json", "as_json", is_flag=True)
@click.option("--save", is_flag=True, help="Save the server URL and token to the config file.")
@click.pass_context
def config(ctx, as_json, save):
    """Show which server the CLI talks to and that server's configuration."""
    studio = _studio(ctx)
    c = studio.config()
    if save:
        path = config_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        # The token is a credential: the file is readable by its owner only.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"url": studio.server.url, "token": studio.server.token}, fh, indent=2)
        err_console.print(f"Saved {studio.server.url} to {path}")
    if as_json:
        _dump({"url": studio.server.url, "source": studio.server.source, **c.model_dump(mode="json")})
        return
    table = Table(box=None, show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in [
        ("Server", f"{studio.server.url} (from {studio.server.source})"), ("Version", c.version),
        ("Features", ", ".join(c.features)), ("Server root", c.server_root or "-"),
        ("STUDIO_HOME", c.studio_home), ("MLflow tracking URI", c.mlflow_tracking_uri),
        ("Agent", json.dumps(c.agent) if c.agent else "-"),
    ]:
        table.add_row(key, value)
    console.print(table)


@cli.command("agent", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                        "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def agent(args):
    """Run the studio agent (dispatches jobs, fires schedules); `studio agent --help` for options."""
    from .runner.agent import main as agent_main  # the one non-SDK import, kept lazy

    sys.exit(agent_main(list(args)) or 0)


__import__("studio_ext.cli_experiments", fromlist=["register"]).register(cli, sys.modules[__name__])
__import__("studio_ext.cli_endpoints", fromlist=["register"]).register(cli, sys.modules[__name__])
__import__("studio_ext.cli_transform", fromlist=["register"]).register(cli, sys.modules[__name__])


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="studio")


if __name__ == "__main__":  # pragma: no cover
    main()
