"""What every `studio` command shares: consoles, exit codes, error handling, tables, progress bars."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from ..sdk import AccessDenied, JobFailed, ServiceUnavailable, Studio, StudioError

# The documented exit codes (the root command's help lists them; 0 is success, 2 is click's usage).
EXIT_JOB_FAILED = 1  # the job (endpoint, transform) failed or was stopped
EXIT_REFUSED = 3  # the server refused the request: bad input, not found, conflict
EXIT_UNAVAILABLE = 4  # the server is unreachable, refused the credentials or failed
EXIT_INTERRUPTED = 130  # Ctrl-C while following; the work keeps running

# Job and transform job statuses share these names.
STATUS_STYLE = {
    "Queued": "dim", "Starting": "cyan", "InProgress": "blue", "Completed": "green",
    "Failed": "bold red", "Stopping": "yellow", "Stopped": "yellow",
}

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class Consoles:
    """The stdout (`out`) and stderr (`err`) consoles of the current invocation."""

    out: Console
    err: Console

    def __init__(self) -> None:
        self.out = Console(highlight=False)
        self.err = Console(stderr=True, highlight=False)

    def reset(self) -> None:
        """Remake both for this invocation's streams (the root command calls it)."""
        # Output that is piped or captured gets wide tables instead of rich's 80-column default,
        # so ids and names stay whole for grep and scripts.
        self.out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
        self.err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 200)


consoles = Consoles()


def exit_failed(message: str) -> NoReturn:
    """`Error: <message>` on stderr, exit 1: the thing followed failed (not the request)."""
    consoles.err.print(f"Error: {message}")
    sys.exit(EXIT_JOB_FAILED)


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
            exit_failed(error.message)
        except StudioError as error:
            raise StudioCLIError(error) from None


def studio_from(ctx: click.Context) -> Studio:
    """The invocation's Studio client, made on first use from the root's --url and --token."""
    obj = ctx.find_root().obj
    if obj.get("studio") is None:
        obj["studio"] = Studio(url=obj.get("url"), token=obj.get("token"))
    return obj["studio"]


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several click options as one decorator, listed in --help in the order given."""

    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


def parse_value(text: str) -> Any:
    """JSON when it parses (0.5, 3, true, [1, 2], {"a": 1}, "quoted"), else the string itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def pairs(items: tuple[str, ...], option: str) -> dict[str, str]:
    """KEY=VALUE arguments of `option` as a dict; a usage error names the bad one."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint=option)
        out[key] = value
    return out


def list_table(*columns: str, id_width: int = 32) -> Table:
    """A plain table whose first column (an id) is never cut: people copy ids into the next command."""
    table = Table(box=None, header_style="bold")
    table.add_column(columns[0], no_wrap=True, min_width=id_width)
    for column in columns[1:]:
        table.add_column(column)
    return table


def kv_table(rows: Iterable[tuple[str, str]]) -> Table:
    """A headerless two-column table: bold keys, values folded rather than cut."""
    table = Table(box=None, show_header=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    return table


def dump(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def fmt_time(value: Any) -> str:
    if value is None:
        return "-"
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s" if m else f"{s}s"


def styled(status: Any, styles: Mapping[str, str] = STATUS_STYLE) -> str:
    """A status (enum or str) as rich markup in its style from `styles`."""
    value = getattr(status, "value", status)
    return f"[{styles.get(value, '')}]{value}[/]"


class CountColumn(ProgressColumn):
    """`n/m <unit>` once the total is known, nothing before: a script job has no cells to count,
    and "0/? cells" would say it has."""

    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task: Any) -> Text:
        if not task.total:
            return Text("")
        return Text(f"{int(task.completed)}/{int(task.total)} {self.unit}", style="progress.download")


def follow(wait: Callable[[Callable[[Any], None]], T], update: Callable[[Any], dict[str, Any]], *,
           unit: str, columns: Iterable[ProgressColumn], console: Console, interrupted: str,
           **fields: Any) -> T:
    """Show a progress bar while `wait(on_update)` runs and return what it returns.

    Args:
        wait: blocks until the work ends, calling its argument with each fresh description.
        update: a description -> the task's description, total, completed and `fields`.
        unit: what the bar counts ("cells", "files"), shown as "n/m unit" once the total is known.
        columns: shown between that count and the elapsed time.
        console: where the bar goes.
        interrupted: said on stderr on Ctrl-C before exiting 130 (the work keeps running).
        fields: the initial values of the extra task fields `columns` show.
    """
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        CountColumn(unit), *columns, TimeElapsedColumn(), console=console,
                        transient=False)
    task = progress.add_task("Queued", total=None, **fields)
    try:
        with progress:
            return wait(lambda d: progress.update(task, **update(d)))
    except KeyboardInterrupt:
        consoles.err.print(interrupted)
        sys.exit(EXIT_INTERRUPTED)
