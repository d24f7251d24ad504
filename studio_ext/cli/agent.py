"""`studio agent`: runs the agent (dispatches jobs, fires schedules) with its own arguments."""

from __future__ import annotations

import sys

import click


# The agent parses its own arguments (and its own --help), so click passes everything through.
@click.command("agent", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                          "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def agent(args):
    """Run the studio agent (dispatches jobs, fires schedules); `studio agent --help` for options."""
    # The CLI's one import outside the SDK, kept lazy so other commands never load the runner.
    from ..runner.agent import main as agent_main

    sys.exit(agent_main(list(args)) or 0)
