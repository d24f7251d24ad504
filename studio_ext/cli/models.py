"""`studio models list|describe|register|reproduce|alias`: the model registry."""

from __future__ import annotations

import json

import click

from ._common import consoles, dump, fmt_time, kv_table, list_table, pairs, studio_from


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
    items = studio_from(ctx).models.list(name=name, max_items=max_items)
    if as_json:
        dump([m.model_dump(mode="json") for m in items])
        return
    table = list_table("NAME", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION", id_width=12)
    for m in items:
        aliases = ", ".join(f"{a}=v{v}" for a, v in sorted(m.aliases.items())) or "-"
        table.add_row(m.name, m.latest_version or "-", aliases, fmt_time(m.last_updated_time),
                      m.description or "-")
    consoles.out.print(table)
    if not items:
        consoles.out.print("No registered models.")


@models.command("describe")
@click.argument("name")
@click.option("--version", "version", help="Describe one version (signature, lineage) instead.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def models_describe(ctx, name, version, as_json):
    """A model with its versions and aliases, or one version with its lineage."""
    studio = studio_from(ctx)
    if version:
        v = studio.models.version(name, version)
        if as_json:
            dump(v.model_dump(mode="json"))
            return
        lineage = v.lineage
        rows = [("Model", v.name), ("Version", v.version), ("Status", v.status), ("Aliases", ", ".join(v.aliases) or "-"),
                ("Source", v.source or "-"), ("Run", v.run_id or "-"), ("Job", v.job_id or "-"),
                ("Job input", lineage.job_input or "-"), ("Snapshot", lineage.job_snapshot or "-"),
                ("Parameters", json.dumps(lineage.parameters) if lineage.parameters else "-"),
                ("Signature", json.dumps(v.signature) if v.signature else "-"),
                ("Input example", json.dumps(v.input_example)[:200] if v.input_example is not None else "-"),
                ("Description", v.description or "-"), ("Created", fmt_time(v.creation_time))]
        consoles.out.print(kv_table(rows))
        return
    m = studio.models.get(name)
    if as_json:
        dump(m.model_dump(mode="json"))
        return
    consoles.out.print(kv_table([("Model", m.name), ("Description", m.description or "-"),
                                     ("Tags", ", ".join(f"{k}={v}" for k, v in m.tags.items()) or "-")]))
    table = list_table("VERSION", "STATUS", "ALIASES", "RUN", "CREATED", "DESCRIPTION", id_width=7)
    for v in m.versions:
        table.add_row(v.version, v.status, ", ".join(v.aliases) or "-", v.run_id or "-",
                      fmt_time(v.creation_time), v.description or "-")
    consoles.out.print(table)


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
    v = studio_from(ctx).models.register(run_id, artifact_path, name, description=description,
                                         tags=pairs(tags, "--tag"))
    if quiet:
        click.echo(v.version)
    else:
        consoles.out.print(f"Registered {v.name} version {v.version} ({v.status}) from run {v.run_id}")


@models.command("reproduce")
@click.argument("name")
@click.argument("version")
@click.option("-q", "--quiet", is_flag=True, help="Print only the new job id.")
@click.pass_context
def models_reproduce(ctx, name, version, quiet):
    """Re-run the job that produced VERSION of model NAME, on its input snapshot and parameters."""
    job = studio_from(ctx).models.reproduce(name, version)
    if quiet:
        click.echo(job.job_id)
    else:
        consoles.out.print(f"Queued job {job.job_id} (reproduces {name} version {version}); "
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
    studio_from(ctx).models.set_alias(name, alias, version)
    consoles.out.print(f"{name}@{alias} -> version {version}")


@models_alias.command("delete")
@click.argument("name")
@click.argument("alias")
@click.pass_context
def models_alias_delete(ctx, name, alias):
    """Remove ALIAS from model NAME."""
    studio_from(ctx).models.delete_alias(name, alias)
    consoles.out.print(f"Deleted {name}@{alias}")
