"""The ``academy`` command line: one Typer app, one module per command group.

Each module in ``_COMMAND_MODULES`` registers its commands on ``app`` when imported; heavy
imports (FastAPI, Jupyter) stay inside the command functions so ``academy grade`` starts fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="academy",
    help="OTP Academy: lessons, grading and the grader service.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

bench_app = typer.Typer(help="Benchmarks: print figures measured side by side in one run.")
app.add_typer(bench_app, name="bench")

_COMMAND_MODULES: tuple[str, ...] = (
    # Each helper adds its module here, e.g. "grader.cli.grade".
    "grader.cli.serve",
    "grader.cli.submit",
    "grader.cli.worker",
    "grader.cli.users",
    "grader.cli.db",
    "grader.cli.bench_service",
    "grader.cli.bench",
    "grader.cli.grade",
    "grader.cli.course",
    "grader.cli.bench_grade",
)


def _register_commands() -> None:
    for module in _COMMAND_MODULES:
        importlib.import_module(module)


def main() -> None:
    """Entry point of the ``academy`` console script."""
    _register_commands()
    app()
