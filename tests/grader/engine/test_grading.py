"""`grade()` end to end: the calc fixture exercise through the real sandbox."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time

import pytest

from grader.engine import ExerciseLimits, GraderFailure, Status, grade
from grader.sandbox import SandboxError

pytestmark = pytest.mark.asyncio(loop_scope="module")


def with_limits(exercise, **limits):
    return dataclasses.replace(exercise, limits=ExerciseLimits(**limits))


def solution_with(calc, old: str, new: str) -> dict[str, str]:
    source = calc.solution["calc.py"]
    assert old in source
    return {"calc.py": source.replace(old, new)}


async def test_the_reference_solution_gets_full_marks(calc, launcher):
    result = await grade(calc, calc.solution, launcher=launcher)
    assert (result.status, result.score, result.max_score) == (Status.PASS, 14, 14)
    assert result.full_marks
    assert all(test.status is Status.PASS for test in result.tests)
    assert result.isolation == "namespaces"
    timings = result.timings
    assert 0 < timings.prepare_ms < timings.total_ms


async def test_the_starter_gets_no_points_and_says_what_raised(calc, launcher):
    result = await grade(calc, calc.starter, launcher=launcher)
    assert (result.status, result.score) == (Status.FAIL, 0)
    first = result.tests[0]
    assert first.status is Status.ERROR
    assert first.message == "your code raised NotImplementedError"


async def test_a_visible_comparison_shows_both_sides_and_a_hidden_one_only_its_message(
    calc, launcher
):
    files = solution_with(calc, "return a + b", "return a - b")
    result = await grade(calc, files, launcher=launcher)
    by_name = {test["name"]: test for test in result.to_json()["tests"]}
    visible = by_name["test_add[1-2-3]"]
    assert (visible["status"], visible["expected"], visible["actual"]) == ("fail", 3, -1)
    assert visible["comparison"] == "=="
    assert "got -1" in visible["message"]
    hidden = by_name["test_add_strings_concatenates"]
    assert hidden["status"] == "error"
    assert hidden["message"] == "add works on any type that supports +"
    assert "expected" not in hidden and "actual" not in hidden
    assert result.score == 14 - 1 - 1 - 1


async def test_hidden_expected_values_and_source_never_reach_the_result(calc, launcher):
    files = solution_with(calc, "return (a, b)", "return [a, b]")
    result = await grade(calc, files, launcher=launcher)
    text = json.dumps(result.to_json())
    hidden = next(t for t in result.tests if t.name == "test_pair_returns_a_tuple")
    assert hidden.status is Status.FAIL
    assert hidden.message == "an assertion did not hold"
    assert '(1, "x")' not in text and "(1, 'x')" not in text
    assert "calc.pair" not in text


async def test_a_remote_exception_is_caught_by_pytest_raises_in_the_grader(calc, launcher):
    files = solution_with(calc, "return a / b", "return a / b if b else None")
    result = await grade(calc, files, launcher=launcher)
    by_name = {test.name: test for test in result.tests}
    assert by_name["test_divide_by_zero_raises"].status is Status.FAIL
    assert "DID NOT RAISE" in by_name["test_divide_by_zero_raises"].message
    assert by_name["test_divide_gives_a_float"].status is Status.PASS


async def test_a_syntax_error_is_an_error_verdict_with_the_learners_message(calc, launcher):
    result = await grade(calc, {"calc.py": "def add(a, b)\n    return a + b\n"}, launcher=launcher)
    assert (result.status, result.score, result.tests) == (Status.ERROR, 0, ())
    assert "SyntaxError" in result.message


async def test_a_hang_at_import_is_a_timeout_verdict(calc, launcher):
    quick = with_limits(calc, test_seconds=0.3, wall_seconds=3)
    started = time.monotonic()
    result = await grade(quick, {"calc.py": "while True:\n    pass\n"}, launcher=launcher)
    assert (result.status, result.score) == (Status.TIMEOUT, 0)
    assert "did not finish within 0.3 s" in result.message
    assert time.monotonic() - started < 2


async def test_one_hanging_function_costs_only_its_own_tests(calc, launcher):
    quick = with_limits(calc, test_seconds=0.3, wall_seconds=6)
    files = solution_with(calc, "return a / b", "while True:\n        pass")
    result = await grade(quick, files, launcher=launcher)
    statuses = {test.name: test.status for test in result.tests}
    assert statuses["test_divide_by_zero_raises"] is Status.TIMEOUT
    assert statuses["test_divide_gives_a_float"] is Status.TIMEOUT
    assert statuses["test_pair_returns_a_tuple"] is Status.PASS
    assert result.status is Status.TIMEOUT
    assert result.score == 14 - 1 - 1


async def test_the_wall_clock_bounds_the_whole_submission_and_every_test_gets_a_verdict(
    calc, launcher
):
    tight = with_limits(calc, test_seconds=0.3, wall_seconds=1.0)
    files = solution_with(calc, "return a + b", "while True:\n        pass")
    started = time.monotonic()
    result = await grade(tight, files, launcher=launcher)
    assert time.monotonic() - started < 2.5  # 1 s of budget, plus stopping sandboxes
    assert result.status is Status.TIMEOUT
    assert [test.name for test in result.tests] == [case.name for case in calc.cases]
    late = [test for test in result.tests if test.status is not Status.PASS]
    assert late and all(test.status is Status.TIMEOUT for test in late)


async def test_what_the_learners_code_prints_is_captured(calc, launcher):
    files = {"calc.py": "print('hello from calc')\n" + calc.solution["calc.py"]}
    result = await grade(calc, files, launcher=launcher)
    assert result.status is Status.PASS
    assert "hello from calc" in result.output.stdout


async def test_concurrent_gradings_on_one_launcher_do_not_mix(calc, launcher):
    wrong = solution_with(calc, "return a + b", "return a - b")
    results = await asyncio.gather(
        grade(calc, calc.solution, launcher=launcher),
        grade(calc, wrong, launcher=launcher),
        grade(calc, calc.solution, launcher=launcher),
    )
    assert [result.score for result in results] == [14, 11, 14]


async def test_a_sandbox_that_cannot_start_is_a_grader_failure(calc):
    class BrokenLauncher:
        async def spawn(self, files, limits, entry="grader.engine.agent:serve"):
            raise SandboxError("no namespaces today")

    with pytest.raises(GraderFailure, match="no namespaces today"):
        await grade(calc, calc.solution, launcher=BrokenLauncher())


async def test_names_imported_from_the_learners_module_resolve_in_each_test(
    calc, calc_copy, launcher
):
    from grader.engine import load_exercise

    (calc_copy / "tests" / "visible" / "test_imported_names.py").write_text(
        "from calc import SCALE, add, Counter\n\n\n"
        "def test_add_with_an_imported_constant():\n"
        "    assert add(SCALE, 1) == 11\n"
        "    assert SCALE == 10\n\n\n"
        "def test_add_with_an_imported_class():\n"
        "    assert Counter().bump() == 1\n"
    )
    exercise = load_exercise(calc_copy, root=calc_copy.parents[1])
    files = {"calc.py": "SCALE = 10\n" + calc.solution["calc.py"]}
    result = await grade(exercise, files, launcher=launcher)
    assert result.status is Status.PASS, result.to_json()


async def test_async_fixtures_with_teardown_and_stacked_parametrize_work_like_pytest(
    calc, calc_copy, launcher
):
    from grader.engine import load_exercise

    (calc_copy / "tests" / "visible" / "test_pytest_features.py").write_text(
        "import pytest\n\nimport calc\n\nEVENTS = []\n\n\n"
        "@pytest.fixture\n"
        "async def doubled():\n"
        "    EVENTS.append('setup')\n"
        "    yield await calc.double_later(2)\n"
        "    EVENTS.append('teardown')\n\n\n"
        "@pytest.mark.parametrize('b', [1, pytest.param(2, id='two')])\n"
        "@pytest.mark.parametrize('a', [10, 20], ids=['ten', 'twenty'])\n"
        "def test_add_grid(a, b):\n"
        "    assert calc.add(a, b) == a + b\n\n\n"
        "async def test_double_with_fixture(doubled):\n"
        "    assert doubled == 4 and EVENTS == ['setup']\n\n\n"
        "def test_add_teardown_ran():\n"
        "    assert EVENTS == ['setup', 'teardown']\n"
    )
    exercise = load_exercise(calc_copy, root=calc_copy.parents[1])
    result = await grade(exercise, calc.solution, launcher=launcher)
    names = [test.name for test in result.tests if test.name.startswith("test_add_grid")]
    assert names == [
        "test_add_grid[ten-1]", "test_add_grid[ten-two]",
        "test_add_grid[twenty-1]", "test_add_grid[twenty-two]",
    ]
    assert result.status is Status.PASS, result.to_json()


async def test_module_level_state_of_test_modules_starts_fresh_for_every_submission(
    calc, calc_copy, launcher
):
    from grader.engine import load_exercise

    (calc_copy / "tests" / "visible" / "test_state.py").write_text(
        "import calc\n\nSEEN = []\n\n\n"
        "def test_add_sees_a_fresh_module():\n"
        "    SEEN.append(calc.add(1, 1))\n"
        "    assert SEEN == [2]\n"
    )
    exercise = load_exercise(calc_copy, root=calc_copy.parents[1])
    results = await asyncio.gather(
        *(grade(exercise, calc.solution, launcher=launcher) for _ in range(3))
    )
    assert [result.status for result in results] == [Status.PASS] * 3


async def test_a_fixture_teardown_that_hangs_in_the_learners_code_times_the_test_out(
    calc, calc_copy, launcher
):
    from grader.engine import load_exercise

    (calc_copy / "tests" / "visible" / "test_teardown.py").write_text(
        "import pytest\n\nimport calc\n\n\n"
        "@pytest.fixture\n"
        "async def lingering():\n"
        "    yield 1\n"
        "    await calc.double_later(1)\n\n\n"
        "def test_add_with_lingering_fixture(lingering):\n"
        "    assert calc.add(lingering, 1) == 2\n"
    )
    quick = with_limits(load_exercise(calc_copy, root=calc_copy.parents[1]), test_seconds=0.3)
    files = solution_with(calc, "await asyncio.sleep(0.01)", "await asyncio.sleep(60)")
    result = await grade(quick, files, launcher=launcher)
    lingering = next(t for t in result.tests if t.name == "test_add_with_lingering_fixture")
    assert lingering.status is Status.TIMEOUT
    assert "teardown" in lingering.message
