"""The root command: connection options shared by every subcommand, and the console-script entry point."""

from pathlib import Path

import click

from aegis_cli import __version__, output
from aegis_cli.commands.catalog import evaluate, metrics, models
from aegis_cli.commands.common import Invocation, json_option
from aegis_cli.commands.compare import compare
from aegis_cli.commands.datasets import datasets, upload
from aegis_cli.commands.runs import report, run, runs
from aegis_cli.errors import Interrupted

EPILOG = """\b
Configuration (first found wins): --url/--api-key/--timeout; the --config file (or AEGIS_CONFIG);
AEGIS_URL, AEGIS_API_KEY, AEGIS_TIMEOUT; ~/.config/aegis/config.toml with url = "..." and api_key = "...".

\b
Exit codes: 0 ok, 1 the API answered with an error (its detail is printed), 2 usage or configuration
error, 3 the server could not be reached, 130 interrupted.
"""


class AegisGroup(click.Group):
    def parse_args(self, ctx, args):
        # The output mode belongs to one invocation (tests make many in one process). --json is eager, so it is
        # set while arguments are parsed, before the root callback: the reset comes first.
        output.reset()
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        # Click reports Ctrl-C as "Aborted!" with exit 1, which scripts would read as an API error.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted("Interrupted.") from None


@click.group(cls=AegisGroup, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aegis")
@click.option("--url", metavar="URL", help="Server address, e.g. http://127.0.0.1:8000 [AEGIS_URL].")
@click.option("--api-key", metavar="KEY", help="API key, sk_... [AEGIS_API_KEY].")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file with url and api_key [AEGIS_CONFIG; default ~/.config/aegis/config.toml].",
)
@click.option("--timeout", type=float, metavar="SECONDS", help="Seconds to wait for one answer [60].")
@click.option("--quiet", "-q", is_flag=True, help="No progress bars or hints.")
@json_option
@click.pass_context
def cli(ctx, url, api_key, config_path, timeout, quiet):
    """Aegis from the command line: upload datasets, run metrics, read results."""
    output.STATE.quiet = quiet
    ctx.obj = Invocation(url=url, api_key=api_key, timeout=timeout, config_path=config_path)


for command in (upload, datasets, run, runs, report, compare, evaluate, metrics, models):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="aegis")
