"""What every command shares: the lazily built client, --json, and small parsers for option values."""

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import click

from aegis_cli import config, output
from aegis_cli.client import ApiClient
from aegis_cli.errors import usage


@dataclass
class Invocation:
    url: str | None = None
    api_key: str | None = None
    timeout: float | None = None
    config_path: Path | None = None
    client: ApiClient | None = field(default=None, repr=False)


def client() -> ApiClient:
    """The API client, built on first use so that `--help` and usage errors never need a key."""
    ctx = click.get_current_context()
    invocation = ctx.find_object(Invocation)
    if invocation is None:  # a command invoked without the root group (tests of a single command)
        invocation = ctx.ensure_object(Invocation)
    if invocation.client is None:
        settings = config.resolve(
            url=invocation.url,
            api_key=invocation.api_key,
            timeout=invocation.timeout,
            config_path=invocation.config_path,
        )
        invocation.client = ApiClient(settings)
        ctx.find_root().call_on_close(invocation.client.close)
    return invocation.client


def _set_json(ctx, param, value):
    if value:
        output.STATE.json = True
    return value


json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    expose_value=False,
    callback=_set_json,
    is_eager=True,
    help="Print the API's JSON instead of tables (for scripts).",
)


def parse_json(value: str, what: str):
    """JSON given inline, or read from a file with @path."""
    text = value
    if value.startswith("@"):
        try:
            text = Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise usage(f"{what}: cannot read {value[1:]}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise usage(f"{what} is not valid JSON: {exc}") from None


def parse_pairs(values: tuple[str, ...], what: str) -> dict:
    """`k=v` options; a value that reads as JSON (5, true, [1, 2], {"a": 1}) is sent typed, anything else as text."""
    pairs = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise usage(f"{what} must look like NAME=VALUE, not {item!r}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        pairs[key.strip()] = value
    return pairs


def page_caption(meta: dict, noun: str) -> str:
    total = meta.get("total_items")
    return (
        f"page {meta.get('current_page')} of {max(meta.get('total_pages') or 0, 1)}, {total} {noun}"
        + ("" if total == 1 else "s")
        + (f"; next: --page {meta['next_page']}" if meta.get("has_next") else "")
    )


def shared_param(shared: str | None) -> dict:
    return {} if shared is None else {"shared": "true" if shared == "shared" else "false"}


def confirm_or_yes(yes: bool, question: str) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise usage(f"{question} Add --yes to confirm without a prompt.")
    if not click.confirm(question, default=False, err=True):
        raise usage("Cancelled; nothing was changed.")


def metric_catalog() -> list[dict]:
    return client().get("/metrics")


def resolve_metric_id(catalog: list[dict], token: str) -> tuple[int, dict]:
    """A metric named by id ("1") or shortname ("exact_match"), as its catalog entry."""
    token = token.strip()
    for entry in catalog:
        if str(entry["id"]) == token or entry["shortname"] == token:
            return entry["id"], entry
    lowered = token.lower()
    for entry in catalog:
        if entry["shortname"].lower() == lowered:
            return entry["id"], entry
    raise usage(f"unknown metric {token!r}; `aegis metrics` lists them")
