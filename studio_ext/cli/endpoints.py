"""`studio endpoints create|list|describe|invoke|update|rollback|metrics|delete`: real-time endpoints."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

import click

from ..sdk import StudioError
from ._common import (
    consoles,
    dump,
    exit_failed,
    fmt_time,
    list_table,
    options,
    studio_from,
    styled,
)

STATUS_STYLE = {"Creating": "blue", "Updating": "blue", "InService": "green", "Failed": "bold red",
                "Deleting": "yellow"}


def _status(status) -> str:
    return styled(status, STATUS_STYLE)


def _variants(model, variants_json, variant_name, instance_type, instance_count) -> list[dict]:
    if variants_json:
        try:
            variants = json.loads(variants_json)
        except ValueError as exc:
            raise click.BadParameter(f"not JSON: {exc}", param_hint="--variants") from None
        if not isinstance(variants, list):
            raise click.BadParameter("a JSON list of variants", param_hint="--variants")
        return variants
    if not model:
        raise click.UsageError("give --model models:/<name>/<version> (or models:/<name>@<alias>) or --variants")
    return [{"name": variant_name, "model": model, "instance_type": instance_type,
             "instance_count": instance_count}]


variant_options = options(
    click.option("--model", metavar="URI", help="models:/<name>/<version> or models:/<name>@<alias> (followed)."),
    click.option("--variant-name", default="primary", show_default=True),
    click.option("--instance-type", default="local.small", show_default=True),
    click.option("--instance-count", type=click.IntRange(1, 16), default=1, show_default=True),
    click.option("--variants", "variants_json", metavar="JSON",
                 help='Several variants: [{"name","model","instance_type","instance_count","weight"}, ...].'),
    click.option("--wait", is_flag=True, help="Wait until InService; exit 1 if it fails."),
)


@click.group()
def endpoints() -> None:
    """Real-time endpoints: registered models served over HTTP."""


@endpoints.command("create")
@click.argument("name")
@variant_options
@click.option("--capture-percent", type=click.FloatRange(0, 100), help="Data capture: share of requests to record.")
@click.option("--schema-enforcement", type=click.Choice(["mlflow", "strict"]), default=None,
              help="mlflow (default): answer as `mlflow models serve`; strict: refuse unknown columns and keys.")
@click.pass_context
def endpoints_create(ctx, name, model, variant_name, instance_type, instance_count, variants_json, wait,
                     capture_percent, schema_enforcement):
    """Create endpoint NAME (the agent starts its replicas)."""
    studio = studio_from(ctx)
    capture = {"sampling_percent": capture_percent} if capture_percent else None
    described = studio.endpoints.create(name, _variants(model, variants_json, variant_name, instance_type,
                                                        instance_count), data_capture=capture,
                                        schema_enforcement=schema_enforcement)
    consoles.out.print(f"{described.name}: {_status(described.status)}")
    if wait:
        _wait(studio, name)


def _wait(studio, name: str) -> None:
    try:
        described = studio.endpoints.wait(name)
    except StudioError as error:
        exit_failed(error.message)
    consoles.out.print(f"{described.name}: {_status(described.status)}  {described.invocation_url}")


@endpoints.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def endpoints_list(ctx, as_json):
    """List endpoints."""
    items = studio_from(ctx).endpoints.list()
    if as_json:
        dump([e.model_dump(mode="json") for e in items])
        return
    table = list_table("NAME", "STATUS", "VARIANTS", "REPLICAS", "UPDATED", id_width=12)
    for e in items:
        healthy = sum(1 for r in e.replicas if r.status == "Healthy")
        table.add_row(e.name, _status(e.status), ", ".join(f"{v.name}={v.model}" for v in e.variants),
                      f"{healthy}/{len(e.replicas)}", fmt_time(e.updated_at))
    consoles.out.print(table)


@endpoints.command("describe")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def endpoints_describe(ctx, name, as_json):
    """Status (with its reason), variants and replicas of endpoint NAME."""
    e = studio_from(ctx).endpoints.get(name)
    if as_json:
        dump(e.model_dump(mode="json"))
        return
    consoles.out.print(f"[bold]{e.name}[/]  {_status(e.status)}  generation {e.generation}")
    if e.status_reason:
        consoles.out.print(f"reason: {e.status_reason}")
    consoles.out.print(f"invoke: POST {e.invocation_url}")
    table = list_table("VARIANT", "MODEL", "INSTANCE TYPE", "COUNT", "WEIGHT", id_width=8)
    for v in e.variants:
        table.add_row(v.name, v.model, v.instance_type, str(v.instance_count), f"{v.weight:g}")
    consoles.out.print(table)
    table = list_table("REPLICA", "VARIANT", "VERSION", "STATUS", "PORT", "RESTARTS", "TRAFFIC", id_width=12)
    for r in e.replicas:
        table.add_row(r.replica_id, r.variant, r.model_version or "-", r.status, str(r.port or "-"),
                      str(r.restarts), f"{r.weight:.0%}")
    consoles.out.print(table)
    d = e.deployment
    if d:
        state = ("rolled back" if d.rolled_back_at else "completed" if d.completed_at
                 else f"in progress, {d.share or 0:.0%} of traffic on the new variants")
        consoles.out.print(f"last {'rollback' if d.rollback else 'update'}: {d.type} by {d.by or '-'}, "
                           f"started {fmt_time(d.started_at)}, {state}"
                           + (f" ({d.rollback_reason})" if d.rollback_reason else ""))
    if e.previous_configuration:
        models = ", ".join(f"{v.name}={v.model}" for v in e.previous_configuration.variants)
        consoles.out.print(f"previous configuration (what `studio endpoints rollback {e.name}` deploys): {models}")


@endpoints.command("invoke")
@click.argument("name")
@click.option("--data", metavar="JSON|CSV", help="The request body (default: read stdin).")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), help="Read the body from a file.")
@click.option("--content-type", default=None, help="application/json (default) or text/csv (default for .csv files).")
@click.pass_context
def endpoints_invoke(ctx, name, data, path, content_type):
    """Score with endpoint NAME; prints the JSON answer."""
    if path:
        with open(path, encoding="utf-8") as fh:
            data = fh.read()
        content_type = content_type or ("text/csv" if path.endswith(".csv") else "application/json")
    elif data is None:
        data = sys.stdin.read()
    result = studio_from(ctx).endpoints.invoke(name, data, content_type or "application/json")
    dump(result)


@endpoints.command("update")
@click.argument("name")
@variant_options
@click.option("--policy", type=click.Choice(["all_at_once", "canary", "linear"]), default="all_at_once",
              show_default=True)
@click.option("--canary-percent", type=float, default=10.0, show_default=True)
@click.option("--baking-seconds", type=float, default=60.0, show_default=True)
@click.option("--step-percent", type=float, default=25.0, show_default=True)
@click.option("--step-seconds", type=float, default=30.0, show_default=True)
@click.option("--error-rate-threshold", type=float, default=0.05, show_default=True)
@click.pass_context
def endpoints_update(ctx, name, model, variant_name, instance_type, instance_count, variants_json, wait, policy,
                     canary_percent, baking_seconds, step_percent, step_seconds, error_rate_threshold):
    """Point endpoint NAME at new variants, shifting traffic by --policy (rolled back on failure)."""
    studio = studio_from(ctx)
    studio.endpoints.update(name, variants=_variants(model, variants_json, variant_name, instance_type,
                                                     instance_count),
                            deployment_policy={"type": policy, "canary_percent": canary_percent,
                                               "baking_seconds": baking_seconds, "step_percent": step_percent,
                                               "step_seconds": step_seconds,
                                               "error_rate_threshold": error_rate_threshold})
    consoles.out.print(f"{name}: updating ({policy})")
    if wait:
        _wait(studio, name)


@endpoints.command("rollback")
@click.argument("name")
@click.option("--policy", type=click.Choice(["all_at_once", "canary", "linear"]), default="all_at_once",
              show_default=True, help="How traffic moves back (when no update is in progress).")
@click.option("--wait", is_flag=True, help="Wait until InService again; exit 1 if it fails.")
@click.pass_context
def endpoints_rollback(ctx, name, policy, wait):
    """Roll endpoint NAME back: stop the update in progress, or deploy its previous configuration."""
    studio = studio_from(ctx)
    studio.endpoints.rollback(name, deployment_policy={"type": policy}, wait=False)
    consoles.out.print(f"{name}: rolling back")
    if wait:
        _wait(studio, name)


SPARK = "▁▂▃▄▅▆▇█"
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _seconds(text: str, hint: str) -> float:
    """'900', '15m', '1h', '2d' -> seconds."""
    text = text.strip().lower()
    try:
        return float(text[:-1]) * UNITS[text[-1]] if text and text[-1] in UNITS else float(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration like 900, 15m, 1h or 2d", param_hint=hint) from None


def _spark(values: list[float | None], width: int, combine: Callable[[list[float]], float]) -> str:
    """A sparkline of at most `width` characters: neighbouring points are combined (`combine`:
    mean for rates, max for latency) so the line fits the terminal whatever the range."""
    groups = max(1, min(width, len(values)))
    merged: list[float | None] = []
    for g in range(groups):
        chunk = [v for v in values[g * len(values) // groups:(g + 1) * len(values) // groups] if v is not None]
        merged.append(combine(chunk) if chunk else None)
    top = max((v for v in merged if v is not None), default=0) or 1
    return "".join(" " if v is None else SPARK[min(len(SPARK) - 1, int(v / top * (len(SPARK) - 1) + 0.5))]
                   for v in merged)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


@endpoints.command("metrics")
@click.argument("name")
@click.option("--since", default="15m", show_default=True, help="How far back: 900, 15m, 1h, 2d.")
@click.option("--period", default=None, help="One row per period (default: about 180 over the range).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (live totals, Prometheus text, history).")
@click.pass_context
def endpoints_metrics(ctx, name, since, period, as_json):
    """Requests, errors and latency of endpoint NAME: live totals and the history over --since."""
    m = studio_from(ctx).endpoints.metrics(name, since_seconds=_seconds(since, "--since"),
                                           period_seconds=_seconds(period, "--period") if period else None)
    if as_json:
        dump(m.model_dump(mode="json"))
        return

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    table = list_table("VARIANT", "REQUESTS", "4XX", "5XX", "P50 MS", "P90 MS", "P99 MS", id_width=16)
    for v in m.variants:
        table.add_row(v.variant, str(v.invocations), str(v.errors_4xx), str(v.errors_5xx), ms(v.latency_p50_ms),
                      ms(v.latency_p90_ms), ms(v.latency_p99_ms))
    consoles.out.print("[bold]live replicas (since each started)[/]")
    consoles.out.print(table)
    whole = next((s for s in m.series if s.variant is None), None)
    if whole is None or not any(p.invocations for p in whole.points):
        consoles.out.print(f"no requests in the last {since}")
        return
    points = whole.points
    consoles.out.print(f"[bold]last {since}, one point per {m.period_seconds:g} s[/]")
    width = max(10, min(80, consoles.out.width) - 12)  # "requests/s " and a margin
    consoles.out.print(f"requests/s {_spark([p.invocations / m.period_seconds for p in points], width, _mean)}")
    consoles.out.print(f"p99 ms     {_spark([p.latency_p99_ms for p in points], width, max)}")
    table = list_table("PERIOD", "REQUESTS", "REQ/S", "4XX", "5XX", "P50 MS", "P90 MS", "P99 MS", id_width=20)
    for p in points:
        if p.invocations:
            table.add_row(p.time.astimezone().strftime("%m-%d %H:%M:%S"), str(p.invocations), f"{p.invocations / m.period_seconds:.1f}",
                          str(p.errors_4xx), str(p.errors_5xx), ms(p.latency_p50_ms), ms(p.latency_p90_ms),
                          ms(p.latency_p99_ms))
    consoles.out.print(table)


@endpoints.command("delete")
@click.argument("name")
@click.pass_context
def endpoints_delete(ctx, name):
    """Delete endpoint NAME (its replicas are stopped)."""
    studio_from(ctx).endpoints.delete(name)
    consoles.out.print(f"{name}: deleting")
