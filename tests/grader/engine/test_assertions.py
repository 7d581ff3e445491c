"""Assert rewriting: failed comparisons keep both sides; messages are the author's."""

from __future__ import annotations

import ast

import pytest

from grader.engine.assertions import (
    HELPERS,
    AssertionFailed,
    ComparisonFailed,
    rewrite_asserts,
)


def run(source: str) -> None:
    tree = rewrite_asserts(ast.parse(source), source)
    exec(compile(tree, "<test>", "exec"), dict(HELPERS))


def test_a_failed_equality_keeps_actual_expected_and_message():
    with pytest.raises(ComparisonFailed) as caught:
        run("assert [2, 1] == [1, 2], 'sorted please'")
    assert (caught.value.op, caught.value.actual, caught.value.expected) == ("==", [2, 1], [1, 2])
    assert caught.value.message == "sorted please"
    assert caught.value.source == "[2, 1] == [1, 2]"


@pytest.mark.parametrize(
    "source", ["assert 1 < 2", "assert 3 in [3]", "assert None is None", "assert 'a' != 'b'"]
)
def test_holding_comparisons_pass(source):
    run(source)


def test_other_asserts_keep_their_source_for_the_message():
    with pytest.raises(AssertionFailed) as caught:
        run("x = 0\nassert x")
    assert not isinstance(caught.value, ComparisonFailed)
    assert caught.value.source == "x" and caught.value.message is None


def test_chained_comparisons_are_checked_as_a_whole():
    run("assert 1 < 2 < 3")
    with pytest.raises(AssertionFailed):
        run("assert 1 < 3 < 2")
