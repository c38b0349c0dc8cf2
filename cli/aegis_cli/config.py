"""Where the server and the key come from, first found wins:

1. the `--url` / `--api-key` / `--timeout` flags;
2. a file named explicitly with `--config PATH` or `AEGIS_CONFIG` (naming a file is asking for it);
3. the environment: `AEGIS_URL`, `AEGIS_API_KEY`, `AEGIS_TIMEOUT`;
4. `$XDG_CONFIG_HOME/aegis/config.toml` (`~/.config/aegis/config.toml`), when it exists;
5. for the URL only, the local demo server.
"""

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from aegis_cli.errors import usage

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = 60.0
KEYS = {"url", "api_key", "timeout"}


@dataclass(frozen=True)
class Settings:
    url: str
    api_key: str
    timeout: float


def default_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "aegis" / "config.toml"


def read_config_file(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            values = tomllib.load(handle)
    except FileNotFoundError:
        raise usage(f"config file {path} does not exist") from None
    except OSError as exc:
        raise usage(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise usage(f"config file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(values) - KEYS)
    if unknown:
        # A misspelt key would otherwise be ignored silently and the next layer used instead.
        raise usage(f"config file {path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(KEYS))})")
    for key, value in values.items():
        expected = (int, float) if key == "timeout" else (str,)
        if isinstance(value, bool) or not isinstance(value, expected):
            raise usage(f"config file {path}: {key} must be a {'number' if key == 'timeout' else 'string'}")
    return values


def _layers(config_path: Path | None) -> list[tuple[str, dict]]:
    env = {
        "url": os.environ.get("AEGIS_URL") or None,
        "api_key": os.environ.get("AEGIS_API_KEY") or None,
        "timeout": os.environ.get("AEGIS_TIMEOUT") or None,
    }
    explicit = config_path or (Path(os.environ["AEGIS_CONFIG"]) if os.environ.get("AEGIS_CONFIG") else None)
    layers: list[tuple[str, dict]] = []
    if explicit is not None:
        layers.append((str(explicit), read_config_file(explicit.expanduser())))
    layers.append(("the environment", env))
    default = default_config_path()
    if explicit is None and default.is_file():
        layers.append((str(default), read_config_file(default)))
    return layers


def _timeout(value) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise usage(f"timeout must be a number of seconds, not {value!r}") from None
    if not seconds > 0:
        raise usage("timeout must be more than 0 seconds")
    return seconds


def resolve(
    *, url: str | None = None, api_key: str | None = None, timeout: float | None = None, config_path: Path | None = None
) -> Settings:
    layers = _layers(config_path)

    def pick(key, flag):
        if flag not in (None, ""):
            return flag
        for _, values in layers:
            if values.get(key) not in (None, ""):
                return values[key]
        return None

    chosen_url = (pick("url", url) or DEFAULT_URL).strip()
    if not chosen_url.startswith(("http://", "https://")):
        raise usage(f"the server URL must start with http:// or https://, not {chosen_url!r}")
    chosen_key = (pick("api_key", api_key) or "").strip()
    if not chosen_key:
        raise usage(
            "no API key: set AEGIS_API_KEY, pass --api-key, or put api_key in "
            f"{config_path or default_config_path()} (keys come from `manage.py create_api_key EMAIL`)"
        )
    chosen_timeout = pick("timeout", timeout)
    return Settings(
        url=chosen_url,
        api_key=chosen_key,
        timeout=DEFAULT_TIMEOUT if chosen_timeout is None else _timeout(chosen_timeout),
    )
