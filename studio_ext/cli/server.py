"""`studio config` and `studio instance-types`: the server the CLI talks to and what it offers."""

from __future__ import annotations

import json
import os

import click

from ..sdk import config_path
from ._common import consoles, dump, kv_table, list_table, studio_from


@click.command("instance-types")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def instance_types(ctx, as_json):
    """List the instance types jobs can run on."""
    items = studio_from(ctx).instance_types()
    if as_json:
        dump([i.model_dump(mode="json") for i in items])
        return
    table = list_table("NAME", "VCPUS", "MEMORY", "GPUS", "PRICE/H", "SLOTS", "DESCRIPTION", id_width=12)
    for i in items:
        table.add_row(i.name, str(i.vcpus), f"{i.memory_mib} MiB", str(i.gpus), f"{i.price_per_hour:.2f}",
                      str(i.max_concurrent), i.description)
    consoles.out.print(table)


@click.command("config")
@click.option("--json", "as_json", is_flag=True)
@click.option("--save", is_flag=True, help="Save the server URL and token to the config file.")
@click.pass_context
def config(ctx, as_json, save):
    """Show which server the CLI talks to and that server's configuration."""
    studio = studio_from(ctx)
    c = studio.config()
    if save:
        path = config_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        # The token is a credential: the file is readable by its owner only.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"url": studio.server.url, "token": studio.server.token}, fh, indent=2)
        consoles.err.print(f"Saved {studio.server.url} to {path}")
    if as_json:
        dump({"url": studio.server.url, "source": studio.server.source, **c.model_dump(mode="json")})
        return
    consoles.out.print(kv_table([
        ("Server", f"{studio.server.url} (from {studio.server.source})"), ("Version", c.version),
        ("Features", ", ".join(c.features)), ("Server root", c.server_root or "-"),
        ("STUDIO_HOME", c.studio_home), ("MLflow tracking URI", c.mlflow_tracking_uri),
        ("Agent", json.dumps(c.agent) if c.agent else "-"),
    ]))
