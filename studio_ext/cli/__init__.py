"""The `studio` command: a thin layer over the SDK, one module per resource (and `studio agent`)."""

from __future__ import annotations

import click

# The modules, not their commands: a command named like its module would hide the module
# (`studio_ext.cli.jobs` must stay the module, for tests and for whoever extends the CLI).
from . import (
    agent,
    audit,
    endpoints,
    experiments,
    jobs,
    keys,
    models,
    schedules,
    server,
    training,
    transform,
    tuning,
)
from ._common import StudioGroup, consoles


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
      1  the job failed or was stopped (jobs run --wait, jobs wait, tuning-jobs create --wait)
      2  bad usage
      3  the server refused the request (bad input, not found, conflict)
      4  the server is unreachable, refused the credentials, or failed
    """
    consoles.reset()
    ctx.ensure_object(dict)
    ctx.obj.update(url=url, token=token, studio=None)


for _command in (jobs.jobs, schedules.schedules, experiments.experiments, experiments.runs,
                 models.models, endpoints.endpoints, transform.transform_jobs, training.algorithms,
                 training.training, tuning.tuning_jobs, server.instance_types, server.config, audit.audit,
                 keys.keys, agent.agent):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """The console script `studio` (and `python -m studio_ext.cli`)."""
    cli.main(args=argv, prog_name="studio")


__all__ = ["cli", "main"]
