"""`studio algorithms list|describe` and `studio training run`: built-in algorithms from the shell."""

from __future__ import annotations

import click

from ._common import consoles, dump, kv_table, list_table, pairs, parse_value, studio_from
from .jobs import _wait


@click.group()
def algorithms() -> None:
    """The built-in algorithms (train one with `studio training run`)."""


@algorithms.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def algorithms_list(ctx, as_json):
    """Every algorithm: use case, problem types, what it is."""
    items = studio_from(ctx).algorithms.list()
    if as_json:
        dump([a.model_dump(mode="json") for a in items])
        return
    table = list_table("NAME", "USE CASE", "PROBLEMS", "TITLE", id_width=16)
    for a in items:
        table.add_row(a.name, a.use_case, ", ".join(a.problem_types), a.title)
    consoles.out.print(table)


@algorithms.command("describe")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def algorithms_describe(ctx, name, as_json):
    """One algorithm's hyperparameters (type, default, range), channels and metrics."""
    spec = studio_from(ctx).algorithms.get(name)
    if as_json:
        dump(spec.model_dump(mode="json"))
        return
    consoles.out.print(kv_table([("Name", spec.name), ("Title", spec.title), ("Use case", spec.use_case),
                                 ("Problems", ", ".join(spec.problem_types)), ("About", spec.description),
                                 ("Channels", ", ".join(c.name + (" (required)" if c.required else "")
                                                        for c in spec.channels))]))
    table = list_table("HYPERPARAMETER", "TYPE", "DEFAULT", "RANGE", "TUNE", id_width=20)
    for key, prop in spec.hyperparameters.get("properties", {}).items():
        kind = prop.get("type") or "/".join(p.get("type", "?") for p in prop.get("anyOf", []))
        if "enum" in prop:
            kind = "|".join(map(str, prop["enum"]))
        bounds = [prop.get(k) for k in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum")]
        low = bounds[0] if bounds[0] is not None else bounds[1]
        high = bounds[2] if bounds[2] is not None else bounds[3]
        span = f"[{low}, {high}]" if low is not None or high is not None else ""
        table.add_row(key, kind, str(prop.get("default", "")), span, "yes" if prop.get("x-tunable") else "")
    consoles.out.print(table)
    consoles.out.print("metrics: " + ", ".join(f"{m.name} ({m.direction})" for m in spec.metrics))


@click.group()
def training() -> None:
    """Training jobs of built-in algorithms."""


@training.command("run")
@click.argument("algorithm")
@click.option("--train", "train", required=True, help="The train channel: a file or folder under the server root.")
@click.option("--validation", help="The validation channel.")
@click.option("--test", help="The test channel.")
@click.option("--label", help="The label column (default: a column named `label`, else the first).")
@click.option("-H", "--hyperparameter", "hyperparameters", multiple=True, metavar="KEY=VALUE",
              help="A hyperparameter; values are JSON when they parse (-H max_depth=6 -H eta=0.1).")
@click.option("--register-as", help="Register the trained model under this name.")
@click.option("--instance-type", help="Where it trains (default: local.small).")
@click.option("--instance-count", type=click.IntRange(1, 16),
              help="Instances that train together (torch algorithms; default 1).")
@click.option("--name", help="Job name (default: the algorithm's).")
@click.option("--checkpoint", is_flag=True, help="Checkpoint every epoch; a retry resumes from the last one.")
@click.option("--max-retries", type=int, help="Retries after a failure (default: 0).")
@click.option("--wait", is_flag=True, help="Follow it until it ends; exit 1 unless it completes.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the job id.")
@click.pass_context
def training_run(ctx, algorithm, train, validation, test, label, hyperparameters, register_as, instance_type,
                 instance_count, name, checkpoint, max_retries, wait, quiet):
    """Train ALGORITHM (`studio algorithms list`) on the given channels.

    \b
    Example: studio training run xgboost --train data/churn/train.csv --validation data/churn/val.csv \\
             -H max_depth=6 -H eta=0.1 --register-as churn-xgb --wait
    """
    studio = studio_from(ctx)
    channels = {k: ({"path": v, "label": label} if label else v)
                for k, v in (("train", train), ("validation", validation), ("test", test)) if v}
    hp = {k: parse_value(v) for k, v in pairs(hyperparameters, "--hyperparameter").items()}
    job = studio.training.run(algorithm, channels, hp, register_as=register_as, instance_type=instance_type,
                              instance_count=instance_count, name=name, checkpoint=checkpoint, max_retries=max_retries)
    if quiet:
        click.echo(job.job_id)
    else:
        consoles.out.print(f"Submitted training job [bold]{job.job_id}[/]")
    if wait:
        _wait(job, 1.0, quiet)
        result = job.describe().training
        if result and result.result and not quiet:
            consoles.out.print(f"model {result.result.model_uri}")
            for key, value in sorted(result.result.metrics.items()):
                consoles.out.print(f"  {key} = {value:.6g}")
