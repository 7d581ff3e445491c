"""Assertions in test modules, rewritten so a failed comparison keeps both of its sides.

`assert actual == expected, "message"` is compiled as
`__academy_compare__("==", actual, expected, "message", "<assert source>")`, and any other
`assert x, "message"` as `__academy_check__(x, "message", "<assert source>")`. Both evaluate
the comparison in the grader on trusted values (decoded data or `RemoteRef`s, whose equality
is identity), and raise `ComparisonFailed` / `AssertionFailed` carrying what the result needs.
The convention is pytest's: the learner's value on the left, the expected one on the right.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from grader.engine.proxy import Deferred

COMPARE = "__academy_compare__"
CHECK = "__academy_check__"

_OPERATORS: dict[type[ast.cmpop], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
    ast.In: ("in", lambda a, b: a in b),
    ast.NotIn: ("not in", lambda a, b: a not in b),
    ast.Is: ("is", operator.is_),
    ast.IsNot: ("is not", operator.is_not),
}
_BY_SYMBOL = dict(_OPERATORS.values())


class AssertionFailed(AssertionError):
    """An `assert` in a test did not hold; `message` is the author's, `source` the assert's."""

    def __init__(self, message: str | None, source: str):
        self.message = message
        self.source = source
        super().__init__(message or f"assertion failed: {source}")


class ComparisonFailed(AssertionFailed):
    """`assert actual <op> expected` did not hold; both sides are kept for the result."""

    def __init__(self, op: str, actual: Any, expected: Any, message: str | None, source: str):
        self.op = op
        self.actual = actual
        self.expected = expected
        super().__init__(message, source)


def _resolve(value: Any) -> Any:
    return value._resolve() if isinstance(value, Deferred) else value


def compare(op: str, actual: Any, expected: Any, message: Any, source: str) -> None:
    actual, expected = _resolve(actual), _resolve(expected)
    if not _BY_SYMBOL[op](actual, expected):
        raise ComparisonFailed(op, actual, expected, _text(message), source)


def check(value: Any, message: Any, source: str) -> None:
    if not _resolve(value):
        raise AssertionFailed(_text(message), source)


def _text(message: Any) -> str | None:
    return None if message is None else str(message)


class _RewriteAsserts(ast.NodeTransformer):
    def __init__(self, source: str):
        self.source = source

    def visit_Assert(self, node: ast.Assert) -> ast.stmt:
        text = ast.get_source_segment(self.source, node.test) or "<expression>"
        message = node.msg if node.msg is not None else ast.Constant(None)
        test = node.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _OPERATORS:
            symbol = _OPERATORS[type(test.ops[0])][0]
            call = ast.Call(
                func=ast.Name(COMPARE, ast.Load()),
                args=[ast.Constant(symbol), test.left, test.comparators[0], message,
                      ast.Constant(text)],
                keywords=[],
            )
        else:
            call = ast.Call(
                func=ast.Name(CHECK, ast.Load()),
                args=[test, message, ast.Constant(text)],
                keywords=[],
            )
        return ast.copy_location(ast.Expr(call), node)


def rewrite_asserts(tree: ast.Module, source: str) -> ast.Module:
    """Rewrite every `assert` of a parsed test module (in place) and fix locations."""
    tree = _RewriteAsserts(source).visit(tree)
    return ast.fix_missing_locations(tree)


HELPERS: dict[str, Callable[..., None]] = {COMPARE: compare, CHECK: check}
