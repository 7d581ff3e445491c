"""How a grading result looks in a notebook: one line per test, the first failure explained.

Like Exercism's editor, only the first failing test is expanded: a learner fixes one thing at a
time. The object also carries the raw result as ``application/vnd.academy.results+json`` so
tools that execute notebooks (``academy course validate``) can read the verdict back.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

RESULTS_MIME = "application/vnd.academy.results+json"

_ICON = {"pass": "✔", "fail": "✘", "error": "✘", "timeout": "⏱"}
_COLOUR = {"pass": "#2b8a3e", "fail": "#c92a2a", "error": "#c92a2a", "timeout": "#e67700"}


@dataclass(frozen=True)
class ResultsView:
    """A results.json-shaped dict (docs/results.md), plus what kind of run produced it."""

    result: dict[str, Any]
    kind: str = "visible tests"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "text/plain": self.text(),
            "text/html": self.html(),
            RESULTS_MIME: {**self.result, "kind": self.kind},
        }

    def _first_failure(self) -> dict[str, Any] | None:
        for test in self.result.get("tests", []):
            if test.get("status") != "pass":
                return test
        return None

    def headline(self) -> str:
        result = self.result
        tests = result.get("tests", [])
        passed = sum(1 for test in tests if test.get("status") == "pass")
        where = f" — {result['where']}" if result.get("where") else ""
        if result.get("status") == "error" and not tests:
            return f"{self.kind}: could not run your code{where}"
        return (
            f"{self.kind}: {passed}/{len(tests)} passed, score {_num(result.get('score', 0))}"
            f"/{_num(result.get('max_score', 0))}{where}"
        )

    def text(self) -> str:
        lines = [self.headline()]
        if self.result.get("message"):
            lines.append(f"  {self.result['message']}")
        failure = self._first_failure()
        for test in self.result.get("tests", []):
            status = test.get("status", "error")
            lines.append(f"  {_ICON.get(status, '?')} {test.get('name')}")
            if test is failure:
                lines.extend(f"      {line}" for line in _explain(test).splitlines())
        return "\n".join(lines)

    def html(self) -> str:
        result = self.result
        overall = result.get("status", "error")
        parts = [
            "<div style='font-family:ui-monospace,monospace;font-size:13px;border-left:4px "
            f"solid {_COLOUR.get(overall, '#868e96')};padding:4px 10px'>",
            f"<div style='font-weight:bold'>{escape(self.headline())}</div>",
        ]
        if result.get("message"):
            parts.append(f"<pre style='color:#c92a2a'>{escape(result['message'])}</pre>")
        failure = self._first_failure()
        for test in result.get("tests", []):
            status = test.get("status", "error")
            task = f" <span style='color:#868e96'>({escape(test['task'])})</span>" if test.get(
                "task"
            ) else ""
            parts.append(
                f"<div style='color:{_COLOUR.get(status, '#495057')}'>"
                f"{_ICON.get(status, '?')} {escape(str(test.get('name')))}{task}</div>"
            )
            if test is failure:
                parts.append(
                    "<pre style='margin:2px 0 6px 18px;background:#fff5f5;padding:6px'>"
                    f"{escape(_explain(test))}</pre>"
                )
        if result.get("isolation") == "rlimits-only":
            parts.append(
                "<div style='color:#e67700'>reduced isolation: no Linux namespaces here</div>"
            )
        parts.append("</div>")
        return "".join(parts)


def _explain(test: dict[str, Any]) -> str:
    lines = [test.get("message") or f"status: {test.get('status')}"]
    if "expected_repr" in test:
        lines.append(f"expected {test.get('comparison', '==')} {test['expected_repr']}")
        lines.append(f"actual:    {test['actual_repr']}")
    return "\n".join(lines)


def _num(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)
