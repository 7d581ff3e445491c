"""Collecting an exercise's tests: its test modules, imported once in the grader.

A test module is parsed, its asserts rewritten (`assertions`), and executed in a fresh module
whose `import <learner module>` yields a `LearnerModule` proxy instead of a real import, so
the *same* file runs in a learner's own pytest (where `import stack` is their file) and in
the grader (where it is the sandboxed copy). Test functions are pytest's: plain or `async
def`, `@pytest.mark.parametrize`, `@pytest.mark.timeout`, and `@pytest.fixture` functions
defined in the same module (function scope; plain, generator or async).
"""

from __future__ import annotations

import ast
import builtins
import inspect
import itertools
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from _pytest.fixtures import FixtureFunctionDefinition

from grader.engine.assertions import HELPERS, rewrite_asserts
from grader.engine.errors import ExerciseError
from grader.engine.proxy import LearnerModule
from grader.engine.results import Visibility

if TYPE_CHECKING:
    from grader.engine.exercise import Exercise, TestFile

_IGNORED_MARKS = frozenset({"asyncio", "parametrize", "timeout"})


@dataclass(frozen=True)
class Fixture:
    name: str
    function: Callable[..., Any]
    params: tuple[str, ...]


@dataclass(frozen=True)
class TestCase:
    """One runnable test case: a test function with one set of parameters."""

    __test__ = False

    name: str  # test_push[3]
    function_name: str  # test_push
    file: str  # tests/hidden/test_stack.py
    visibility: Visibility
    task: str
    max_points: float
    function: Callable[..., Any] = field(repr=False)
    arguments: dict[str, Any] = field(repr=False)
    fixtures: dict[str, Fixture] = field(repr=False)
    timeout: float | None
    description: str | None
    params: tuple[str, ...] = ()  # the test function's parameters: arguments and fixtures

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.function)


def collect_exercise(exercise: Exercise) -> tuple[tuple[TestCase, ...], TestSuite]:
    """The exercise's test cases (validated against exercise.toml) and its compiled suite."""
    proxies = {name: LearnerModule(name) for name in exercise.modules}
    cases: list[TestCase] = []
    compiled_modules: list[CompiledTestModule] = []
    seen: dict[str, str] = {}
    for test_file in exercise.test_files:
        compiled = compile_test_module(exercise.id, test_file)
        compiled_modules.append(compiled)
        namespace = _execute(exercise.id, compiled, proxies)
        for case in _cases_of(exercise, test_file, namespace):
            if case.function_name in seen and seen[case.function_name] != test_file.relative:
                raise ExerciseError(
                    exercise.id, test_file.relative,
                    f"test `{case.function_name}` is also defined in {seen[case.function_name]}; "
                    "test names must be unique in an exercise",
                )
            seen[case.function_name] = test_file.relative
            cases.append(case)
    if not cases:
        raise ExerciseError(exercise.id, "tests/", "defines no test functions")
    for name in exercise.points:
        if name not in seen:
            raise ExerciseError(
                exercise.id, "exercise.toml", "names a test that does not exist",
                field=f"points.{name}",
            )
    return tuple(cases), TestSuite(exercise.id, compiled_modules, proxies)


@dataclass(frozen=True)
class CompiledTestModule:
    """A test module parsed, assert-rewritten and compiled once; executed per submission."""

    relative: str
    module_name: str
    code: types.CodeType


@dataclass(frozen=True)
class TestModuleInstance:
    """One execution of a test module: its namespace and the fixtures defined in it."""

    namespace: dict[str, Any]
    fixtures: dict[str, Fixture]


class TestSuite:
    """An exercise's compiled test modules.

    Every submission gets fresh executions (`instantiate`), so module-level state in a test
    module never leaks from one submission to the next, nor between concurrent gradings;
    compiling, the costly part, happens once.
    """

    __test__ = False

    def __init__(
        self, exercise_id: str, modules: list[CompiledTestModule], proxies: dict[str, Any]
    ):
        self.exercise_id = exercise_id
        self.modules = modules
        self.proxies = proxies

    def instantiate(self) -> dict[str, TestModuleInstance]:
        instances = {}
        for compiled in self.modules:
            namespace = _execute(self.exercise_id, compiled, self.proxies)
            instances[compiled.relative] = TestModuleInstance(namespace, _fixtures_of(namespace))
        return instances


def compile_test_module(exercise_id: str, test_file: TestFile) -> CompiledTestModule:
    try:
        tree = ast.parse(test_file.source, filename=test_file.relative)
    except SyntaxError as error:
        raise ExerciseError(
            exercise_id, test_file.relative, f"syntax error line {error.lineno}: {error.msg}"
        ) from None
    tree = rewrite_asserts(tree, test_file.source)
    code = compile(tree, f"<{exercise_id}/{test_file.relative}>", "exec")
    module_name = "academy_tests." + (exercise_id + "/" + test_file.relative).replace(
        "/", "."
    ).replace("-", "_").removesuffix(".py")
    return CompiledTestModule(test_file.relative, module_name, code)


def _execute(
    exercise_id: str, compiled: CompiledTestModule, proxies: dict[str, LearnerModule]
) -> dict[str, Any]:
    """Execute a test module in the grader with the learner's modules replaced by proxies."""
    module = types.ModuleType(compiled.module_name)
    module.__file__ = f"<{exercise_id}/{compiled.relative}>"
    namespace = module.__dict__
    namespace["__builtins__"] = {**builtins.__dict__, "__import__": _importer(proxies)}
    namespace.update(HELPERS)
    # Registered so that dataclasses and the like can find their module while it executes.
    sys.modules[compiled.module_name] = module
    try:
        exec(compiled.code, namespace)
    except Exception as error:
        raise ExerciseError(
            exercise_id, compiled.relative,
            f"importing the test module raised {type(error).__name__}: {error}",
        ) from None
    return namespace


def _importer(proxies: dict[str, LearnerModule]) -> Callable[..., Any]:
    real_import = builtins.__import__

    def academy_import(name, globals=None, locals=None, fromlist=(), level=0):
        top = name.partition(".")[0]
        if level == 0 and top in proxies:
            if "." in name:
                raise ImportError(f"{top} is a single file; it has no submodule {name}")
            return proxies[top]
        return real_import(name, globals, locals, fromlist, level)

    return academy_import


def _fixtures_of(namespace: dict[str, Any]) -> dict[str, Fixture]:
    fixtures = {}
    for value in namespace.values():
        if isinstance(value, FixtureFunctionDefinition):
            function = value._get_wrapped_function()
            params = tuple(inspect.signature(function).parameters)
            fixtures[value.name] = Fixture(value.name, function, params)
    return fixtures


def _cases_of(
    exercise: Exercise, test_file: TestFile, namespace: dict[str, Any]
) -> list[TestCase]:
    fixtures = _fixtures_of(namespace)
    cases = []
    for name, value in list(namespace.items()):
        if not name.startswith("test") or not inspect.isfunction(value):
            continue
        if inspect.isasyncgenfunction(value) or inspect.isgeneratorfunction(value):
            raise ExerciseError(exercise.id, test_file.relative, f"test `{name}` must not yield")
        task = exercise.task_for(name)
        if task is None:
            raise ExerciseError(
                exercise.id, test_file.relative,
                f"test `{name}` matches no [[tasks]] `tests` pattern in exercise.toml",
            )
        marks = list(getattr(value, "pytestmark", []))
        unknown = [mark.name for mark in marks if mark.name not in _IGNORED_MARKS]
        if unknown:
            raise ExerciseError(
                exercise.id, test_file.relative,
                f"test `{name}` uses mark `{unknown[0]}`; the grader supports parametrize, "
                "timeout and asyncio (tests are never skipped)",
            )
        timeout = _timeout_of(marks)
        params = tuple(inspect.signature(value).parameters)
        doc = inspect.getdoc(value)
        description = doc.strip().splitlines()[0] if doc and doc.strip() else None
        for suffix, arguments in _parameter_sets(exercise.id, test_file.relative, name, marks):
            missing = [
                p for p in params
                if p not in arguments and not _fixture_available(p, fixtures, arguments)
            ]
            if missing:
                raise ExerciseError(
                    exercise.id, test_file.relative,
                    f"test `{name}` asks for `{missing[0]}`, which is neither a parameter nor a "
                    "fixture defined in the module",
                )
            cases.append(TestCase(
                name=name + suffix,
                function_name=name,
                file=test_file.relative,
                visibility=Visibility.HIDDEN if test_file.hidden else Visibility.VISIBLE,
                task=task.name,
                max_points=exercise.points.get(name, task.points),
                function=value,
                arguments=arguments,
                fixtures=fixtures,
                timeout=timeout,
                description=description,
                params=params,
            ))
    return cases


def _fixture_available(
    name: str,
    fixtures: dict[str, Fixture],
    arguments: dict[str, Any],
    asking: frozenset[str] = frozenset(),
) -> bool:
    """Whether fixture `name` can be built; a fixture that needs itself (a cycle) cannot."""
    fixture = fixtures.get(name)
    if fixture is None or name in asking:
        return False
    return all(
        p in arguments or _fixture_available(p, fixtures, arguments, asking | {name})
        for p in fixture.params
    )


def _timeout_of(marks: list[Any]) -> float | None:
    for mark in marks:
        if mark.name == "timeout":
            seconds = mark.args[0] if mark.args else mark.kwargs.get("timeout")
            if isinstance(seconds, int | float) and seconds > 0:
                return float(seconds)
    return None


def _parameter_sets(
    exercise_id: str, file: str, name: str, marks: list[Any]
) -> list[tuple[str, dict[str, Any]]]:
    """pytest-style expansion: stacked parametrize marks multiply, ids join with `-`."""
    axes: list[list[tuple[str, dict[str, Any]]]] = []
    for mark in marks:
        if mark.name != "parametrize":
            continue
        try:
            argnames, argvalues = mark.args[0], mark.args[1]
        except IndexError:
            raise ExerciseError(exercise_id, file, f"test `{name}`: parametrize needs names and "
                                "values") from None
        names = [n.strip() for n in argnames.split(",")] if isinstance(argnames, str) else list(
            argnames
        )
        ids = mark.kwargs.get("ids")
        axis = []
        for index, entry in enumerate(argvalues):
            explicit_id = None
            if isinstance(entry, type(pytest.param(None))):
                values, explicit_id = tuple(entry.values), entry.id
            elif len(names) == 1:
                values = (entry,)
            else:
                values = tuple(entry)
            if len(values) != len(names):
                raise ExerciseError(
                    exercise_id, file,
                    f"test `{name}`: parameter set {index} has {len(values)} values for "
                    f"{len(names)} names",
                )
            if explicit_id is None and isinstance(ids, list | tuple) and index < len(ids):
                explicit_id = str(ids[index])
            pairs = zip(values, names, strict=True)
            case_id = explicit_id or "-".join(_value_id(v, n, index) for v, n in pairs)
            axis.append((case_id, dict(zip(names, values, strict=True))))
        axes.append(axis)
    if not axes:
        return [("", {})]
    cases = []
    seen: set[str] = set()
    # As pytest: the parametrize closest to the function comes first in the id and varies
    # slowest (marks are listed in the order the decorators were applied, bottom up).
    for combination in itertools.product(*axes):
        case_id = "-".join(part for part, _ in combination)
        if case_id in seen:
            case_id = f"{case_id}{len(seen)}"
        seen.add(case_id)
        arguments: dict[str, Any] = {}
        for _, values in combination:
            arguments.update(values)
        cases.append((f"[{case_id}]", arguments))
    return cases


def _value_id(value: Any, argname: str, index: int) -> str:
    if isinstance(value, str | int | float | bool) or value is None:
        return str(value)
    return f"{argname}{index}"
