"""`studio experiments|runs|models ...`: readable tables over the SDK (registered by cli.py)."""

from __future__ import annotations

import json
from types import ModuleType

import click
from rich.table import Table

# The `studio` CLI module (its console, table and formatting helpers), given to register(): importing
# it here would be circular, and `python -m studio_ext.cli` runs it as __main__, not studio_ext.cli.
base: ModuleType

RUN_STATUS_STYLE = {"RUNNING": "blue", "SCHEDULED": "dim", "FINISHED": "green", "FAILED": "bold red",
                    "KILLED": "yellow"}


def _run_status(status: str) -> str:
    return f"[{RUN_STATUS_STYLE.get(status, '')}]{status}[/]"


def _num(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _kv_table(rows) -> Table:
    table = Table(box=None, show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    return table


# --------------------------------------------------------------------------- experiments


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
    items = base._studio(ctx).experiments.list(name=name, max_items=max_items)
    if as_json:
        base._dump([e.model_dump(mode="json") for e in items])
        return
    table = base._table("ID", "NAME", "CREATED", "UPDATED", id_width=4)
    for e in items:
        table.add_row(e.experiment_id, e.name, base._fmt_time(e.creation_time), base._fmt_time(e.last_update_time))
    base.console.print(table)
    if not items:
        base.console.print("No experiments.")


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
    runs = base._studio(ctx).experiments.runs(experiment_id, filter=filter_, order_by=order_by, max_items=max_items)
    if as_json:
        base._dump([r.model_dump(mode="json") for r in runs])
        return
    param_keys = list(params) or sorted({k for r in runs for k in r.params})[:8]
    metric_keys = list(metrics) or sorted({k for r in runs for k in r.metrics})[:8]
    table = base._table("RUN ID", "NAME", "STATUS", "STARTED", "DURATION", "JOB",
                        *[f"p:{k}" for k in param_keys], *[f"m:{k}" for k in metric_keys])
    for r in runs:
        table.add_row(r.run_id, r.name or "-", _run_status(r.status), base._fmt_time(r.start_time),
                      base._fmt_duration(r.duration_seconds), r.job_id or "-",
                      *[r.params.get(k, "-") for k in param_keys], *[_num(r.metrics.get(k)) for k in metric_keys])
    base.console.print(table)
    if not runs:
        base.console.print("No runs.")


# --------------------------------------------------------------------------- runs


@click.group()
def runs() -> None:
    """One MLflow run: details, comparison."""


@runs.command("describe")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def runs_describe(ctx, run_id, as_json):
    """Params, metrics, tags, artifacts root and the job of a run."""
    r = base._studio(ctx).runs.get(run_id)
    if as_json:
        base._dump(r.model_dump(mode="json"))
        return
    rows = [("Run id", r.run_id), ("Name", r.name or "-"), ("Experiment", r.experiment_id),
            ("Status", _run_status(r.status)), ("Started", base._fmt_time(r.start_time)),
            ("Ended", base._fmt_time(r.end_time)), ("Duration", base._fmt_duration(r.duration_seconds)),
            ("Job", r.job_id or "-"), ("Artifacts", r.artifact_uri or "-")]
    if r.job_notebook:
        rows.append(("Executed notebook", r.job_notebook))
    if r.reproduces_job_id:
        rows.append(("Reproduces", f"job {r.reproduces_job_id}, run {r.reproduces_run_id or '-'}"))
    rows += [(f"param {k}", v) for k, v in sorted(r.params.items())]
    rows += [(f"metric {k}", _num(v)) for k, v in sorted(r.metrics.items())]
    rows += [(f"tag {k}", v) for k, v in sorted(r.tags.items()) if not k.startswith("mlflow.")]
    base.console.print(_kv_table(rows))


@runs.command("compare")
@click.argument("run_ids", nargs=-1, required=True)
@click.option("--all", "show_all", is_flag=True, help="Show rows that are equal across runs too.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def runs_compare(ctx, run_ids, show_all, as_json):
    """Params and metrics of two or more runs side by side (differences in bold)."""
    result = base._studio(ctx).runs.compare(list(run_ids))
    if as_json:
        base._dump(result.model_dump(mode="json"))
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
    base.console.print(table)


# --------------------------------------------------------------------------- models


@click.group()
def models() -> None:
    """The model registry: models, versions, aliases."""


@models.command("list")
@click.option("--name", help="Substring of the model name.")
@click.option("-n", "--max-items", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models_list(ctx, name, max_items, as_json):
    """List registered models."""
    items = base._studio(ctx).models.list(name=name, max_items=max_items)
    if as_json:
        base._dump([m.model_dump(mode="json") for m in items])
        return
    table = base._table("NAME", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION", id_width=12)
    for m in items:
        aliases = ", ".join(f"{a}=v{v}" for a, v in sorted(m.aliases.items())) or "-"
        table.add_row(m.name, m.latest_version or "-", aliases, base._fmt_time(m.last_updated_time),
                      m.description or "-")
    base.console.print(table)
    if not items:
        base.console.print("No registered models.")


@models.command("describe")
@click.argument("name")
@click.option("--version", "version", help="Describe one version (signature, lineage) instead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models_describe(ctx, name, version, as_json):
    """A model with its versions and aliases, or one version with its lineage."""
    studio = base._studio(ctx)
    if version:
        v = studio.models.version(name, version)
        if as_json:
            base._dump(v.model_dump(mode="json"))
            return
        lineage = v.lineage
        rows = [("Model", v.name), ("Version", v.version), ("Status", v.status), ("Aliases", ", ".join(v.aliases) or "-"),
                ("Source", v.source or "-"), ("Run", v.run_id or "-"), ("Job", v.job_id or "-"),
                ("Job input", lineage.job_input or "-"), ("Snapshot", lineage.job_snapshot or "-"),
                ("Parameters", json.dumps(lineage.parameters) if lineage.parameters else "-"),
                ("Signature", json.dumps(v.signature) if v.signature else "-"),
                ("Input example", json.dumps(v.input_example)[:200] if v.input_example is not None else "-"),
                ("Description", v.description or "-"), ("Created", base._fmt_time(v.creation_time))]
        base.console.print(_kv_table(rows))
        return
    m = studio.models.get(name)
    if as_json:
        base._dump(m.model_dump(mode="json"))
        return
    base.console.print(_kv_table([("Model", m.name), ("Description", m.description or "-"),
                                  ("Tags", ", ".join(f"{k}={v}" for k, v in m.tags.items()) or "-")]))
    table = base._table("VERSION", "STATUS", "ALIASES", "RUN", "CREATED", "DESCRIPTION", id_width=7)
    for v in m.versions:
        table.add_row(v.version, v.status, ", ".join(v.aliases) or "-", v.run_id or "-",
                      base._fmt_time(v.creation_time), v.description or "-")
    base.console.print(table)


@models.command("register")
@click.argument("run_id")
@click.argument("artifact_path")
@click.argument("name")
@click.option("--description")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Version tag. Repeatable.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the version number.")
@click.pass_context
def models_register(ctx, run_id, artifact_path, name, description, tags, quiet):
    """Register ARTIFACT_PATH of run RUN_ID (e.g. 'model') as a new version of model NAME."""
    v = base._studio(ctx).models.register(run_id, artifact_path, name, description=description,
                                          tags=base._pairs(tags, "--tag"))
    if quiet:
        click.echo(v.version)
    else:
        base.console.print(f"Registered {v.name} version {v.version} ({v.status}) from run {v.run_id}")


@models.command("reproduce")
@click.argument("name")
@click.argument("version")
@click.option("-q", "--quiet", is_flag=True, help="Print only the new job id.")
@click.pass_context
def models_reproduce(ctx, name, version, quiet):
    """Re-run the job that produced VERSION of model NAME, on its input snapshot and parameters."""
    job = base._studio(ctx).models.reproduce(name, version)
    if quiet:
        click.echo(job.job_id)
    else:
        base.console.print(f"Queued job {job.job_id} (reproduces {name} version {version}); "
                           f"follow it with `studio jobs wait {job.job_id}`")


@models.group("alias")
def models_alias() -> None:
    """Set, move or delete a model alias (champion, staging, ...)."""


@models_alias.command("set")
@click.argument("name")
@click.argument("alias")
@click.argument("version")
@click.pass_context
def models_alias_set(ctx, name, alias, version):
    """Point ALIAS of model NAME at VERSION (moves it if another version had it)."""
    base._studio(ctx).models.set_alias(name, alias, version)
    base.console.print(f"{name}@{alias} -> version {version}")


@models_alias.command("delete")
@click.argument("name")
@click.argument("alias")
@click.pass_context
def models_alias_delete(ctx, name, alias):
    """Remove ALIAS from model NAME."""
    base._studio(ctx).models.delete_alias(name, alias)
    base.console.print(f"Deleted {name}@{alias}")


def register(cli: click.Group, helpers: ModuleType) -> None:
    """Attach the groups to the root `studio` command; `helpers` is the module that defines it."""
    global base
    base = helpers
    for group in (experiments, runs, models):
        cli.add_command(group)
