"""``academy submit EXERCISE FILE --server URL``: send a submission, wait, print the verdict.

Exit codes are those of ``academy grade``: 0 full marks, 1 graded below full marks, 2 usage or
exercise error (bad file, unknown exercise, missing or refused token), 3 grader or service
failure (unreachable, 5xx, rate limited, grading error).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import typer

from grader.cli import app

FULL, BELOW, USAGE, FAILURE = 0, 1, 2, 3
TOKEN_ENV = "ACADEMY_TOKEN"
SERVER_ENV = "ACADEMY_SERVER"


class SubmitFailed(Exception):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _error_message(response: Any) -> str:
    try:
        return response.json()["error"]["message"]
    except Exception:
        return f"HTTP {response.status_code}"


def _check(response: Any) -> Any:
    if response.status_code < 400:
        return response
    message = _error_message(response)
    if response.status_code in (429,) or response.status_code >= 500:
        raise SubmitFailed(f"the service refused: {message}", FAILURE)
    raise SubmitFailed(message, USAGE)


def _send(client: Any, exercise: str, path: Path) -> dict[str, Any]:
    if path.is_dir():
        files = {p.name: p.read_text(encoding="utf-8") for p in sorted(path.glob("*.py"))}
        if not files:
            raise SubmitFailed(f"folder {path} holds no .py files", USAGE)
        response = client.post("/api/submissions", json={"exercise_id": exercise, "files": files})
    elif path.is_file():
        with path.open("rb") as handle:
            response = client.post(
                "/api/submissions/upload",
                data={"exercise_id": exercise},
                files={"file": (path.name, handle)},
            )
    else:
        raise SubmitFailed(f"{path} does not exist", USAGE)
    return _check(response).json()


def _follow(client: Any, accepted: dict[str, Any], on_status: Any, timeout: float) -> dict:
    """Follow the SSE stream until the submission is final; poll if the stream breaks."""
    deadline = time.monotonic() + timeout
    try:
        with client.stream("GET", accepted["events_url"], timeout=timeout) as stream:
            _check(stream)
            event = ""
            for line in stream.iter_lines():
                if line.startswith("event:"):
                    event = line.partition(":")[2].strip()
                elif line.startswith("data:") and event == "status":
                    on_status(json.loads(line.partition(":")[2])["status"])
                elif line.startswith("data:") and event == "end":
                    break
    except SubmitFailed:
        raise
    except Exception:
        pass  # fall back to polling below
    while True:
        submission = _check(client.get(accepted["url"])).json()
        on_status(submission["status"])
        if submission["status"] in ("graded", "error"):
            return submission
        if time.monotonic() > deadline:
            raise SubmitFailed(
                f"no result within {timeout:g} s (still {submission['status']})", FAILURE
            )
        time.sleep(0.5)


def _print_result(submission: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if submission["status"] == "error":
        console.print(f"[bold red]grading failed[/]: {submission.get('error')}")
        return
    result = submission["result"] or {}
    table = Table(show_header=True, header_style="bold")
    for column in ("test", "status", "points", "message"):
        table.add_column(column)
    for test in result.get("tests", []):
        colour = "green" if test.get("status") == "pass" else "red"
        table.add_row(
            str(test.get("name")),
            f"[{colour}]{test.get('status')}[/]",
            f"{test.get('points', 0):g}/{test.get('max_points', 0):g}",
            str(test.get("message") or ""),
        )
    console.print(table)
    console.print(
        f"[bold]{submission['exercise_id']}[/]: {submission['score']:g} / "
        f"{submission['max_score']:g} ({result.get('status')})"
    )


def exit_code_for(submission: dict[str, Any]) -> int:
    if submission["status"] != "graded" or submission.get("max_score") is None:
        return FAILURE
    return FULL if submission["score"] >= submission["max_score"] else BELOW


@app.command()
def submit(
    exercise: str = typer.Argument(..., help="Exercise id, e.g. 01-genserver/counter."),
    file: Path = typer.Argument(..., help="A .py file, a folder of .py files, or a notebook."),
    server: str = typer.Option(
        "http://127.0.0.1:8000", "--server", envvar=SERVER_ENV, help="The grader service URL."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the submission JSON alone."),
    timeout: float = typer.Option(300.0, help="Seconds to wait for the result."),
) -> None:
    """Submit to a running grader service and wait for the result (token: $ACADEMY_TOKEN)."""
    import httpx
    from rich.console import Console

    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        typer.echo(
            f"error: set {TOKEN_ENV} to an API token (POST /api/auth/token, or "
            "`academy users token NAME` on the server)",
            err=True,
        )
        raise typer.Exit(USAGE)
    console = Console(stderr=True)
    try:
        with (
            httpx.Client(
                base_url=server.rstrip("/"),
                headers={"Authorization": f"Bearer {token}"},
                timeout=30.0,
            ) as client,
            console.status("submitting…") as spinner,
        ):
            accepted = _send(client, exercise, file)

            def on_status(status: str) -> None:
                spinner.update(f"submission {accepted['id']}: {status}…")

            submission = _follow(client, accepted, on_status, timeout)
    except SubmitFailed as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except httpx.HTTPError as exc:
        typer.echo(f"error: cannot reach {server}: {exc}", err=True)
        raise typer.Exit(FAILURE) from None
    if as_json:
        typer.echo(json.dumps(submission, indent=2))
    else:
        _print_result(submission)
    raise typer.Exit(exit_code_for(submission))
