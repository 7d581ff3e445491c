"""Application configuration: each application's environment, and runtime config from env vars.

Elixir keeps an application's settings in its *environment*, filled in three layers, each
overriding the one before:

1. defaults shipped with the application (``AppSpec.env``, loaded when the app is loaded);
2. values put before start (``put_env``; Elixir's compile-time ``config/config.exs``);
3. runtime configuration read from OS environment variables when the app starts
   (``AppSpec.runtime_config``, or ``config_from_env`` directly; Elixir's
   ``config/runtime.exs``).

The environment is one table per interpreter (like a node's), shared by every event loop: it is
configuration, not process state, and is usually written before any loop runs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from otp._exceptions import ConfigError

__all__ = [
    "EnvVar",
    "all_env",
    "config_from_env",
    "delete_env",
    "fetch_env",
    "get_env",
    "parse_bool",
    "put_env",
]

T = TypeVar("T")

_lock = threading.Lock()
_env: dict[str, dict[str, Any]] = {}


def get_env(app: str, key: str, default: Any = None) -> Any:
    """The value of ``key`` in ``app``'s environment, or ``default`` when it is not set."""
    return _env.get(app, {}).get(key, default)


def fetch_env(app: str, key: str) -> Any:
    """The value of ``key`` in ``app``'s environment; ``ConfigError`` when it is not set."""
    values = _env.get(app, {})
    if key not in values:
        known = ", ".join(sorted(values)) or "none"
        error = ConfigError(
            f"application {app!r} has no config key {key!r} (keys set: {known}). Set it with "
            f"put_env({app!r}, {key!r}, value), in the app's default env, or from an "
            "environment variable with runtime_config"
        )
        error.app, error.key = app, key
        raise error
    return values[key]


def put_env(app: str, key: str, value: Any) -> None:
    """Set ``key`` in ``app``'s environment (the app need not be loaded)."""
    with _lock:
        _env.setdefault(app, {})[key] = value


def delete_env(app: str, key: str) -> None:
    """Remove ``key`` from ``app``'s environment (no error when it is absent)."""
    with _lock:
        _env.get(app, {}).pop(key, None)


def all_env(app: str) -> dict[str, Any]:
    """A copy of ``app``'s whole environment."""
    return dict(_env.get(app, {}))


def _load_defaults(app: str, defaults: Mapping[str, Any]) -> None:
    """Fill in ``defaults`` for the keys not set yet (values put before loading win)."""
    with _lock:
        values = _env.setdefault(app, {})
        for key, value in defaults.items():
            values.setdefault(key, value)


def parse_bool(text: str) -> bool:
    """``"1"/"true"/"yes"/"on"`` → True, ``"0"/"false"/"no"/"off"/""`` → False (any case)."""
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected a boolean like true/false, 1/0, yes/no or on/off; got {text!r}")


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class EnvVar(Generic[T]):
    """Where one config key comes from at runtime: an OS environment variable and its parser.

    When the variable is set, ``parse(text)`` gives the value (a failure is a ``ConfigError``
    naming the variable). When it is not set, ``default`` is used if given; otherwise the key
    keeps its earlier value, or, with ``required=True``, starting fails with ``ConfigError``.
    """

    name: str
    parse: Callable[[str], T] = str  # type: ignore[assignment]
    default: T = UNSET
    required: bool = False


RuntimeConfig = Mapping[str, "EnvVar[Any] | tuple[str, Callable[[str], Any]] | str"]
"""Config key → ``EnvVar``, ``(variable, parse)`` or just the variable name (kept as text)."""


def _as_env_var(spec: EnvVar[Any] | tuple[str, Callable[[str], Any]] | str) -> EnvVar[Any]:
    if isinstance(spec, EnvVar):
        return spec
    if isinstance(spec, str):
        return EnvVar(spec)
    name, parse = spec
    return EnvVar(name, parse)


def config_from_env(
    app: str, mapping: RuntimeConfig, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Read OS environment variables into ``app``'s environment; returns what was set.

    ``config_from_env("shop", {"port": ("PORT", int), "debug": EnvVar("DEBUG", parse_bool,
    default=False)})`` sets ``port`` from ``$PORT`` when it is set. Every variable is checked
    before any key is written, so a bad value leaves the environment untouched.
    """
    source = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, spec in mapping.items():
        var = _as_env_var(spec)
        text = source.get(var.name)
        if text is None:
            if var.default is not UNSET:
                values[key] = var.default
            elif var.required:
                problems.append(f"{var.name} is not set (config key {key!r} requires it)")
            continue
        try:
            values[key] = var.parse(text)
        except Exception as error:
            parser = getattr(var.parse, "__name__", repr(var.parse))
            problems.append(
                f"{var.name}={text!r} cannot be read by {parser} for config key {key!r}: {error}"
            )
    if problems:
        raise ConfigError(f"runtime config of application {app!r}: " + "; ".join(problems))
    with _lock:
        _env.setdefault(app, {}).update(values)
    return values
