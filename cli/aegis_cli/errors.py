"""Exit codes and the one error type every command raises; scripts branch on the code, people read the message."""

import click

from aegis_cli import output

EXIT_OK = 0
EXIT_API = 1  # the server answered with an error (4xx/5xx), or the run ended badly
EXIT_USAGE = 2  # bad arguments or configuration; nothing useful was sent
EXIT_CONNECTION = 3  # the server could not be reached, or did not answer in time
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report it


class CliError(click.ClickException):
    """An error shown as one clear message, with the API's `detail`, field errors and status when there are any."""

    def __init__(
        self,
        message: str,
        *,
        exit_code: int = EXIT_API,
        status: int | None = None,
        detail=None,
        errors: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.status = status
        self.detail = detail
        self.errors = errors or {}

    def show(self, file=None) -> None:
        if output.STATE.json:
            body = {"error": self.message, "exit_code": self.exit_code}
            if self.status is not None:
                body["status"] = self.status
            if self.detail is not None:
                body["detail"] = self.detail
            if self.errors:
                body["errors"] = self.errors
            output.json_to_stderr(body)
            return
        output.error(self.message)
        for field, messages in self.errors.items():
            for text in messages if isinstance(messages, list) else [messages]:
                if text != self.detail:  # the detail is often the one field error, already said
                    output.error_line(f"  {field}: {text}")


class Interrupted(CliError):
    """Ctrl-C while waiting: not a failure of the run, so it is told as a note, not an error."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=EXIT_INTERRUPTED)

    def show(self, file=None) -> None:
        output.note(self.message)


def usage(message: str) -> CliError:
    return CliError(message, exit_code=EXIT_USAGE)
