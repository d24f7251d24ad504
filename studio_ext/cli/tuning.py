"""`studio tuning-jobs create|wait|list|describe|stop|trials`: hyperparameter tuning from the shell."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import yaml
from rich.progress import TextColumn

from ..sdk import DescribeTuningJob, JobStatus, TuningJob
from ..sdk.tuning import best_text, trials_ended
from ._common import (
    EXIT_JOB_FAILED,
    consoles,
    dump,
    fmt_time,
    follow,
    kv_table,
    list_table,
    pairs,
    parse_value,
    studio_from,
    styled,
)

RANGE_KINDS = {"int": ("Integer", "Linear"), "float": ("Continuous", "Linear"),
               "log": ("Continuous", "Logarithmic"), "intlog": ("Integer", "Logarithmic")}
RANGE_HELP = ("NAME=int:MIN:MAX, NAME=float:MIN:MAX, NAME=log:MIN:MAX (a Continuous range on a log scale), "
              "NAME=intlog:MIN:MAX, NAME=cat:A,B,C (values parsed as JSON when they parse), or NAME={JSON}.")


def parse_range(text: str) -> tuple[str, dict[str, Any]]:
    """One --range as (name, the range's JSON); the server checks the values themselves."""
    name, sep, spec = text.partition("=")
    if not sep or not name or not spec:
        raise click.BadParameter(f"expected NAME=SPEC, got {text!r}", param_hint="--range")
    if spec.lstrip().startswith("{"):
        try:
            return name, json.loads(spec)
        except ValueError as exc:
            raise click.BadParameter(f"{name}: not JSON: {exc}", param_hint="--range") from None
    kind, _, rest = spec.partition(":")
    if kind == "cat":
        values = [parse_value(v) for v in rest.split(",") if v != ""]
        return name, {"type": "Categorical", "values": values}
    if kind in RANGE_KINDS:
        bounds = rest.split(":")
        if len(bounds) == 2:
            try:
                low, high = float(bounds[0]), float(bounds[1])
            except ValueError:
                low = high = None
            if low is not None and high is not None:
                kind_name, scaling = RANGE_KINDS[kind]
                return name, {"type": kind_name, "min": low, "max": high, "scaling": scaling}
        raise click.BadParameter(f"{name}: {kind} takes MIN:MAX numbers, got {rest!r}", param_hint="--range")
    raise click.BadParameter(f"{name}: unknown range kind {kind!r}; {RANGE_HELP}", param_hint="--range")


def read_request(path: str) -> dict[str, Any]:
    """A request file: JSON, or YAML (which JSON is a subset of)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as exc:
        raise click.BadParameter(f"not JSON or YAML: {exc}", param_hint="--file") from None
    if not isinstance(data, dict):
        raise click.BadParameter("the file must hold one object (the request's fields)", param_hint="--file")
    return data


@click.group("tuning-jobs")
def tuning_jobs() -> None:
    """Hyperparameter tuning: many trial jobs over parameter ranges, the best one kept."""


@tuning_jobs.command("create")
@click.option("-f", "--file", "path", type=click.Path(exists=True, dir_okay=False),
              help="The request (JSON or YAML, as POST tuning-jobs takes it); the options below override its fields.")
@click.option("--name", help="The tuning job's name.")
@click.option("--metric", help="The objective: an algorithm's metric (validation:roc_auc) or an MLflow metric of "
                                "a script's or notebook's run.")
@click.option("--objective-type", type=click.Choice(["Maximize", "Minimize"]),
              help="Default: the algorithm's direction for the metric (required for a script or notebook).")
@click.option("--aggregation", type=click.Choice(["Last", "Best"]),
              help="A script or notebook: the metric's last value or the best of its series (default Last).")
@click.option("-r", "--range", "ranges", multiple=True, metavar="NAME=SPEC", help=f"A range to tune. {RANGE_HELP} "
              "Repeatable.")
@click.option("--strategy", type=click.Choice(["Bayesian", "Random", "Grid", "Hyperband"]),
              help="Default Bayesian.")
@click.option("--max-trials", type=click.IntRange(min=1), help="Default 10 (Grid: the grid's size).")
@click.option("--max-parallel", "max_parallel_trials", type=click.IntRange(min=1), help="Trials at once (default 1).")
@click.option("--max-runtime", "max_runtime_seconds", type=click.IntRange(min=1),
              help="Seconds; then running trials stop and no new one starts.")
@click.option("--early-stopping", type=click.Choice(["Off", "Auto"]), help="Auto: stop trials below the median.")
@click.option("--warm-start", "parents", multiple=True, metavar="TUNING_JOB_ID",
              help="A parent tuning job whose trials seed the search (at most 5). Repeatable.")
@click.option("--warm-start-type", type=click.Choice(["IdenticalDataAndAlgorithm", "TransferLearning"]))
@click.option("--seed", type=int, help="Makes the proposals repeatable.")
@click.option("--algorithm", help="Trials train this built-in algorithm (with --train, --validation, -H).")
@click.option("--train", help="The algorithm's train channel: a file or folder under the server root.")
@click.option("--validation", help="The algorithm's validation channel.")
@click.option("--label", help="The channels' label column.")
@click.option("-H", "--hyperparameter", "hyperparameters", multiple=True, metavar="KEY=VALUE",
              help="A fixed hyperparameter of every trial; JSON when it parses. Repeatable.")
@click.option("--input", "input_", metavar="PATH", help="Trials run this script or notebook (with -p).")
@click.option("-p", "--parameter", "parameters", type=(str, str), multiple=True, metavar="NAME VALUE",
              help="A fixed parameter of every trial's script or notebook; JSON when it parses. Repeatable.")
@click.option("--instance-type", help="Each trial's instance type (default local.small).")
@click.option("--wait", is_flag=True, help="Show a progress bar until it ends; exit 1 unless it completes.")
@click.option("--poll", type=float, default=1.0, show_default=True, help="Seconds between status checks with --wait.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the tuning job's id.")
@click.pass_context
def tuning_create(ctx, path, name, metric, objective_type, aggregation, ranges, strategy, max_trials,
                  max_parallel_trials, max_runtime_seconds, early_stopping, parents, warm_start_type, seed,
                  algorithm, train, validation, label, hyperparameters, input_, parameters, instance_type,
                  wait, poll, quiet):
    """Start a tuning job from a request file and/or options.

    \b
    Example: studio tuning-jobs create --name churn --metric validation:roc_auc --algorithm xgboost \\
             --train data/churn/train.csv --validation data/churn/validation.csv -H num_round=50 \\
             -r max_depth=int:2:8 -r eta=log:0.01:0.3 --max-trials 8 --max-parallel 2 --wait
    """
    body = read_request(path) if path else {}
    objective = dict(body.get("objective") or {})
    objective.update({k: v for k, v in (("metric", metric), ("type", objective_type),
                                        ("aggregation", aggregation)) if v is not None})
    if objective:
        body["objective"] = objective
    if ranges:
        body["parameter_ranges"] = {**(body.get("parameter_ranges") or {}), **dict(map(parse_range, ranges))}
    body.update({k: v for k, v in (("name", name), ("strategy", strategy), ("max_trials", max_trials),
                                   ("max_parallel_trials", max_parallel_trials),
                                   ("max_runtime_seconds", max_runtime_seconds), ("early_stopping", early_stopping),
                                   ("seed", seed)) if v is not None})
    if parents or warm_start_type:
        warm = dict(body.get("warm_start") or {})
        warm.update({k: v for k, v in (("parents", list(parents) or None), ("type", warm_start_type)) if v})
        body["warm_start"] = warm
    template = dict(body.get("training_job") or {})
    channels = {k: ({"path": v, "label": label} if label else v)
                for k, v in (("train", train), ("validation", validation)) if v}
    template.update({k: v for k, v in (
        ("algorithm", algorithm), ("input", input_), ("instance_type", instance_type),
        ("channels", {**(template.get("channels") or {}), **channels} if channels else None),
        ("hyperparameters", {**(template.get("hyperparameters") or {}),
                             **{k: parse_value(v) for k, v in pairs(hyperparameters, "--hyperparameter").items()}}
         if hyperparameters else None),
        ("parameters", {**(template.get("parameters") or {}), **{k: parse_value(v) for k, v in parameters}}
         if parameters else None)) if v is not None})
    if template:
        body["training_job"] = template
    job = studio_from(ctx).tuning.create(body)
    if quiet:
        click.echo(job.tuning_job_id)
    else:
        consoles.out.print(f"Submitted tuning job [bold]{job.tuning_job_id}[/] ({job._description.max_trials} "
                           "trials)")
    if wait:
        _wait(job, poll, quiet)


def _wait(job: TuningJob, poll: float, quiet: bool = False) -> None:
    """Follow a tuning job with a progress bar over its trials; exit with the documented code."""

    def update(d: DescribeTuningJob) -> dict[str, Any]:
        running = f"{d.counts.running} running" if d.counts.running and not d.status.is_terminal else ""
        return {"description": styled(d.status), "total": d.max_trials, "completed": trials_ended(d),
                "best": " · ".join(filter(None, [running, best_text(d)]))}

    out = consoles.err if quiet else consoles.out
    d = follow(lambda on_update: job.wait(poll=poll, show_progress=False, raise_on_failure=False,
                                          on_update=on_update),
               update, unit="trials", columns=[TextColumn("{task.fields[best]}")], console=out,
               interrupted=f"Interrupted; tuning job {job.tuning_job_id} keeps running "
                           f"(`studio tuning-jobs stop {job.tuning_job_id}` stops it).", best="")
    if d.status is JobStatus.COMPLETED:
        out.print(f"Tuning job {d.tuning_job_id} {styled(d.status)}"
                  + (f" ({d.status_reason})" if d.status_reason else ""))
        if d.best_trial is not None:
            out.print(f"Best trial {d.best_trial.trial_number}: {d.objective.metric} = {d.best_trial.objective:.6g} "
                      f"with {_values(d.best_trial.parameters)}")
        return
    consoles.err.print(f"Tuning job {d.tuning_job_id} {styled(d.status)}: {d.status_reason or 'no reason given'}")
    sys.exit(EXIT_JOB_FAILED)


@tuning_jobs.command("wait")
@click.argument("tuning_job_id")
@click.option("--poll", type=float, default=1.0, show_default=True)
@click.pass_context
def tuning_wait(ctx, tuning_job_id, poll):
    """Show a progress bar until TUNING_JOB_ID ends; exit 1 unless it completes."""
    _wait(studio_from(ctx).tuning.get(tuning_job_id), poll)


@tuning_jobs.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def tuning_list(ctx, as_json):
    """List tuning jobs, newest first."""
    items = [t._description for t in studio_from(ctx).tuning.list() if t._description is not None]
    if as_json:
        dump([d.model_dump(mode="json") for d in items])
        return
    table = list_table("TUNING JOB", "NAME", "STATUS", "STRATEGY", "TRIALS", "BEST", "CREATED", id_width=16)
    for d in items:
        best = d.best_trial
        table.add_row(d.tuning_job_id, d.name, styled(d.status), d.strategy.value,
                      f"{trials_ended(d)}/{d.max_trials}",
                      f"{best.objective:.6g} (#{best.trial_number})" if best and best.objective is not None else "-",
                      fmt_time(d.created_at))
    consoles.out.print(table)
    if not items:
        consoles.out.print("No tuning jobs.")


@tuning_jobs.command("describe")
@click.argument("tuning_job_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the trials included).")
@click.pass_context
def tuning_describe(ctx, tuning_job_id, as_json):
    """Status, trial counts, the best trial and the parameters' importance."""
    d = studio_from(ctx).tuning.get(tuning_job_id).describe()
    if as_json:
        dump(d.model_dump(mode="json"))
        return
    c = d.counts
    objective = f"{d.objective.type.value if d.objective.type else '?'} {d.objective.metric}"
    if d.training_job.algorithm is None:
        objective += f" ({d.objective.aggregation.value.lower()} value)"
    rows = [("Tuning job", d.tuning_job_id), ("Name", d.name), ("Status", styled(d.status)),
            ("Reason", d.status_reason or "-"), ("Objective", objective),
            ("Strategy", f"{d.strategy.value}, {d.max_parallel_trials} in parallel, early stopping "
                         f"{d.early_stopping.value}, seed {d.seed}"),
            ("Trials", f"{trials_ended(d)} of {d.max_trials} ended: {c.completed} completed, {c.pruned} pruned, "
                       f"{c.failed} failed, {c.stopped} stopped, {c.running} running"),
            ("Template", d.training_job.algorithm or d.training_job.input or "-"),
            ("Ranges", "; ".join(f"{k} {_range_text(r)}" for k, r in d.parameter_ranges.items()))]
    if d.max_runtime_seconds:
        rows.append(("Max runtime", f"{d.max_runtime_seconds} s"))
    if d.warm_start is not None:
        rows.append(("Warm start", f"{d.warm_start.type.value} from {', '.join(d.warm_start.parents)} "
                                   f"({d.warm_start_trials} trials replayed)"))
    best = d.best_trial
    if best is not None:
        rows += [("Best trial", f"{best.trial_number}: {d.objective.metric} = {best.objective:.6g} "
                                f"with {_values(best.parameters)}"),
                 ("Best job", best.job_id or "-"), ("Best run", best.mlflow_run_id or "-")]
        if best.model_uri:
            rows.append(("Best model", best.model_uri))
    rows.append(("Importance", ", ".join(f"{k} {v:.2f}" for k, v in sorted(
        d.parameter_importances.items(), key=lambda kv: -kv[1])) or "- (once two trials completed)"))
    rows += [("Experiment", d.experiment_name), ("Parent run", d.mlflow_parent_run_id or "-"),
             ("Created", fmt_time(d.created_at)), ("Started", fmt_time(d.started_at)), ("Ended", fmt_time(d.ended_at))]
    consoles.out.print(kv_table(rows))


@tuning_jobs.command("stop")
@click.argument("tuning_job_id")
@click.pass_context
def tuning_stop(ctx, tuning_job_id):
    """Start no more trials and stop the running ones (it goes through Stopping to Stopped)."""
    job = studio_from(ctx).tuning.get(tuning_job_id).stop()
    consoles.out.print(f"Tuning job {tuning_job_id} {styled(job.status)}")


@tuning_jobs.command("trials")
@click.argument("tuning_job_id")
@click.option("--sort-by", default="trial_number", show_default=True,
              type=click.Choice([f"{sign}{key}" for key in ("trial_number", "objective", "status", "created_at")
                                 for sign in ("", "-")]),
              help="objective: the best first, whatever the direction; '-' reverses.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def tuning_trials(ctx, tuning_job_id, sort_by, as_json):
    """The trials of TUNING_JOB_ID: status, objective, values, job."""
    d = studio_from(ctx).tuning.get(tuning_job_id).describe(sort_by)
    trials = d.trials or []
    if as_json:
        dump([t.model_dump(mode="json") for t in trials])
        return
    names = list(d.parameter_ranges)
    table = list_table("TRIAL", "STATUS", d.objective.metric.upper(), *(n.upper() for n in names), "JOB ID",
                       id_width=5)
    for t in trials:
        table.add_row(str(t.trial_number), styled(t.status), "-" if t.objective is None else f"{t.objective:.6g}",
                      *(_value(t.parameters.get(n)) for n in names), t.job_id or "-")
    consoles.out.print(table)
    if not trials:
        consoles.out.print("No trials yet.")


def _value(value: Any) -> str:
    return "-" if value is None else f"{value:.6g}" if isinstance(value, float) else str(value)


def _values(parameters: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_value(v)}" for k, v in parameters.items())


def _range_text(spec: Any) -> str:
    if spec.values is not None:
        return "{" + ", ".join(map(str, spec.values)) + "}"
    log = " log" if spec.scaling.value == "Logarithmic" else ""
    return f"[{spec.min:g}, {spec.max:g}]{log}"
