"""`studio audit list|verify|export`: the audit log, its tamper-evidence check, a CloudTrail-like export."""

from __future__ import annotations

import click

from ._common import consoles, dump, exit_failed, list_table, studio_from


@click.group("audit")
def audit() -> None:
    """Who did what to which resource: list, verify the hash chain, export."""


@audit.command("list")
@click.option("--user")
@click.option("--action", help="e.g. CreateJob, StopTuningJob")
@click.option("--resource-type", help="e.g. job, endpoint, tuning-job")
@click.option("--resource-id")
@click.option("--max-items", type=click.IntRange(1, 1000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_events(ctx, user, action, resource_type, resource_id, max_items, as_json):
    """The newest events first."""
    events = studio_from(ctx).audit.list(user=user, action=action, resource_type=resource_type,
                                         resource_id=resource_id, max_items=max_items)
    if as_json:
        dump([e.model_dump(mode="json") for e in events])
        return
    table = list_table("ID", "TIME", "USER", "ACTION", "RESOURCE", "OUTCOME", id_width=8)
    for e in events:
        table.add_row(str(e.event_id), e.time.strftime("%Y-%m-%d %H:%M:%S"), e.user, e.action,
                      f"{e.resource_type}/{e.resource_id or '-'}", e.outcome.value)
    consoles.out.print(table)


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def verify(ctx, as_json):
    """Check the hash chain from the first event on; exit 1 naming the first broken event."""
    check = studio_from(ctx).audit.verify()
    if as_json:
        dump(check.model_dump(mode="json"))
    if not check.intact:
        exit_failed(f"the audit chain breaks at event {check.first_broken_event_id}: {check.reason} "
                    f"({check.events_checked} events before it hold)")
    if not as_json:
        consoles.out.print(f"The audit chain holds: {check.events_checked} events verified.")


@audit.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="the JSON Lines file to write")
@click.pass_context
def export(ctx, output):
    """Every event, oldest first, as CloudTrail-like JSON Lines."""
    count = studio_from(ctx).audit.export(output)
    consoles.err.print(f"Wrote {count} events to {output}")
