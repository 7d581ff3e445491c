"""Submitting a notebook's exercise cell to a running grader service (the JSON API that
``academy submit`` uses): post the files, then follow the submission until it is graded."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from grader.notebook.runner import NotebookExerciseError

POLL_SECONDS = 0.5


async def submit_to_service(
    url: str, token: str, exercise_id: str, files: dict[str, str], *, wait: float = 120.0
) -> dict[str, Any]:
    """The grading result (docs/results.md shape) of one submission graded by the service."""
    if not token:
        raise NotebookExerciseError(
            "set ACADEMY_TOKEN to your API token to submit to the grader service"
        )
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=30) as client:
        response = await client.post(
            "/api/submissions", json={"exercise_id": exercise_id, "files": files}
        )
        accepted = _checked(response, url)
        deadline = time.monotonic() + wait
        while True:
            submission = _checked(await client.get(accepted["url"]), url)
            if submission["status"] == "graded":
                return dict(submission.get("result") or {})
            if submission["status"] == "error":
                problem = submission.get("error")
                raise NotebookExerciseError(f"the service could not grade it: {problem}")
            if time.monotonic() > deadline:
                raise NotebookExerciseError(f"no result from {url} within {wait:g} s")
            await asyncio.sleep(POLL_SECONDS)


def _checked(response: httpx.Response, url: str) -> dict[str, Any]:
    if response.status_code >= 400:
        try:
            message = response.json()["error"]["message"]
        except Exception:
            message = f"HTTP {response.status_code}"
        raise NotebookExerciseError(f"{url} refused the submission: {message}")
    return dict(response.json())
