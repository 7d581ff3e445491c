"""Which host directories a sandbox must see: the Python installation and the packages it
runs, nothing else (not the repository around them, not the service's data)."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterable

# `grader` runs the isolating child itself; `otp` is what every exercise drives.
ALWAYS_EXPOSED_PACKAGES = ("grader", "otp")
SYSTEM_DIRS = ("/usr",)


def _package_dir(module: str) -> str | None:
    top = module.split(".")[0]
    spec = importlib.util.find_spec(top)
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return next(iter(spec.submodule_search_locations), None)
    return os.path.dirname(spec.origin) if spec.origin else None


def _without_nested(paths: Iterable[str]) -> tuple[str, ...]:
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path == outer or path.startswith(outer.rstrip("/") + "/") for outer in kept):
            kept.append(path)
    return tuple(kept)


def runtime_paths(packages: Iterable[str] = ()) -> tuple[str, ...]:
    """Real paths of the interpreter's prefixes and of the given packages' directories."""
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  *SYSTEM_DIRS]
    for module in (*ALWAYS_EXPOSED_PACKAGES, *packages):
        directory = _package_dir(module)
        if directory is not None:
            candidates.append(directory)
    return _without_nested(os.path.realpath(path) for path in candidates if os.path.isdir(path))
