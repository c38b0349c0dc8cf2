"""Everything the CLI prints. Results go to stdout (tables, or JSON with --json); progress bars, notes and errors go
to stderr, so `aegis ... --json | jq` always reads clean JSON."""

import json
import os
import sys
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.table import Table


@dataclass
class State:
    json: bool = False
    quiet: bool = False


# One invocation's output mode, reset by the root command each time (tests invoke many times in one process).
STATE = State()


def reset() -> None:
    STATE.json = False
    STATE.quiet = False


def _console(stream) -> Console:
    # Off a terminal rich assumes 80 columns and folds table cells; piped output reads better unfolded.
    width = None if stream.isatty() or "COLUMNS" in os.environ else 200
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)


def stdout() -> Console:
    return _console(sys.stdout)


def stderr() -> Console:
    return _console(sys.stderr)


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def json_to_stderr(data) -> None:
    sys.stderr.write(json.dumps(data, ensure_ascii=False) + "\n")
    sys.stderr.flush()


def error(message: str) -> None:
    stderr().print(f"[bold red]Error:[/] {escape(message)}")


def error_line(message: str) -> None:
    stderr().print(escape(message))


def note(message: str) -> None:
    """A remark for a person (what happened, what to type next); kept out of --json and --quiet output."""
    if not STATE.quiet and not STATE.json:
        stderr().print(escape(message))


def done(message: str) -> None:
    """The outcome of a command without a table, on stdout."""
    stdout().print(escape(message))


def text(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def table(title: str | None, columns: list[str], rows: list[list], *, caption: str | None = None) -> None:
    grid = Table(title=title, caption=caption, title_justify="left", caption_justify="left")
    for name in columns:
        grid.add_column(name, overflow="fold")
    for row in rows:
        grid.add_row(*(escape(text(cell)) for cell in row))
    stdout().print(grid)


def fields(title: str | None, pairs: list[tuple[str, object]]) -> None:
    grid = Table(title=title, show_header=False, title_justify="left")
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for name, value in pairs:
        grid.add_row(name, escape(text(value)))
    stdout().print(grid)
