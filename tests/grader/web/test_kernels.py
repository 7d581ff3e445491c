"""The kernel bridge against a real jupyter_server child and real ipykernel kernels."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from grader.web.kernels import (
    KernelEvent,
    KernelKey,
    KernelsClient,
    LearnerKernel,
    LearnerKernels,
    LocalJupyterServer,
)
from grader.web.kernels.service import learner_course_copy

# The kernel tests share one jupyter_server (and its event loop) to stay fast.
on_shared_server = pytest.mark.asyncio(loop_scope="module")

SETUP = "import otp\nPRELOADED = 'yes'"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def learners(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LearnerKernels]:
    os.environ["ACADEMY_SECRET_KEY"] = "must-not-reach-kernels"
    try:
        server = LocalJupyterServer(tmp_path_factory.mktemp("kernels"))
        await server.start()
    finally:
        del os.environ["ACADEMY_SECRET_KEY"]
    pool = LearnerKernels(KernelsClient(server.url, server.token), idle_seconds=600)
    try:
        yield pool
    finally:
        await pool.close()
        await server.stop()


async def run(kernel: LearnerKernel, code: str) -> list[KernelEvent]:
    return [event async for event in kernel.connection.execute(code)]


def stdout(events: list[KernelEvent]) -> str:
    return "".join(e["text"] for e in events if e["type"] == "stream")


@on_shared_server
async def test_each_learner_has_their_own_kernel_for_each_lesson(learners: LearnerKernels) -> None:
    alice = await learners.get(KernelKey("1", "lesson-a"), SETUP)
    bob = await learners.get(KernelKey("2", "lesson-a"), SETUP)
    alice_other = await learners.get(KernelKey("1", "lesson-b"), SETUP)
    assert len({alice.kernel_id, bob.kernel_id, alice_other.kernel_id}) == 3
    assert await learners.get(KernelKey("1", "lesson-a")) is alice

    await run(alice, "secret = 'alice'")
    events = await run(bob, "secret")
    assert events[0]["type"] == "error" and events[0]["ename"] == "NameError"
    assert events[-1] == {**events[-1], "type": "done", "status": "error"}


@on_shared_server
async def test_output_streams_results_rich_displays_and_errors_become_page_events(
    learners: LearnerKernels,
) -> None:
    kernel = await learners.get(KernelKey("3", "lesson-a"), SETUP)
    events = await run(
        kernel,
        "from IPython.display import HTML, display\nprint('out')\n"
        "display(HTML('<i>hi</i>'))\n6 * 7",
    )
    kinds = [event["type"] for event in events]
    assert kinds == ["stream", "display", "result", "done"]
    assert events[1]["data"]["text/html"] == "<i>hi</i>"
    assert events[2]["data"] == {"text/plain": "42"}
    assert events[-1]["status"] == "ok" and events[-1]["ms"] > 0


@on_shared_server
async def test_setup_is_preloaded_and_restart_gives_a_fresh_namespace_with_it_again(
    learners: LearnerKernels,
) -> None:
    key = KernelKey("4", "lesson-a")
    kernel = await learners.get(key, SETUP)
    assert stdout(await run(kernel, "print(PRELOADED, otp.__name__)")) == "yes otp\n"
    await run(kernel, "leftover = 1")
    await learners.restart(key)
    assert stdout(await run(kernel, "print(PRELOADED, 'leftover' in globals())")) == "yes False\n"


@on_shared_server
async def test_cells_sent_while_the_kernel_restarts_run_on_the_new_kernel(
    learners: LearnerKernels,
) -> None:
    key = KernelKey("5", "lesson-a")
    kernel = await learners.get(key, SETUP)
    await run(kernel, "before_restart = True")
    restart = asyncio.create_task(learners.restart(key))
    await asyncio.sleep(0)  # the restart holds the kernel before the cell is sent
    events = await run(kernel, "print('before_restart' in globals())")
    await restart
    assert stdout(events) == "False\n"


@on_shared_server
async def test_interrupt_stops_a_running_cell(learners: LearnerKernels) -> None:
    key = KernelKey("6", "lesson-a")
    kernel = await learners.get(key, SETUP)
    events = kernel.connection.execute("import time\nprint('sleeping', flush=True)\ntime.sleep(60)")
    # Interrupt once the cell runs: a SIGINT that lands before the kernel has entered the cell
    # is ignored by ipykernel (as in Jupyter, where one clicks again).
    assert (await anext(events))["text"] == "sleeping\n"
    await learners.interrupt(key)
    rest = [event async for event in events]
    assert any(e["type"] == "error" and e["ename"] == "KeyboardInterrupt" for e in rest)
    assert rest[-1]["status"] == "error"


@on_shared_server
async def test_idle_kernels_are_culled_and_the_next_use_starts_a_new_one(
    learners: LearnerKernels,
) -> None:
    key = KernelKey("7", "lesson-a")
    kernel = await learners.get(key, SETUP)
    assert key not in await learners.cull_idle(now=kernel.last_used + 1)
    assert key in await learners.cull_idle(now=kernel.last_used + 601)
    assert learners.peek(key) is None
    assert not await learners.client.exists(kernel.kernel_id)
    again = await learners.get(key, SETUP)
    assert again.kernel_id != kernel.kernel_id


@on_shared_server
async def test_a_spare_kernel_is_kept_booted_and_preloaded_for_the_next_learners(
    learners: LearnerKernels,
) -> None:
    learners.keep_spare("import otp\nFROM_SPARE = True")
    first = await learners.get(KernelKey("9", "lesson-a"), SETUP)
    second = await learners.get(KernelKey("10", "lesson-a"), SETUP)
    for kernel in (first, second):
        assert stdout(await run(kernel, "print(FROM_SPARE, PRELOADED)")) == "True yes\n"
    assert first.kernel_id != second.kernel_id


@on_shared_server
async def test_a_learner_keeps_only_their_most_recently_used_kernels(
    learners: LearnerKernels,
) -> None:
    keys = [KernelKey("11", f"lesson-{n}") for n in range(learners.per_learner + 1)]
    for key in keys:
        await learners.get(key, SETUP)
    assert learners.peek(keys[0]) is None
    assert all(learners.peek(key) is not None for key in keys[1:])


@on_shared_server
async def test_kernels_do_not_inherit_the_services_secrets(learners: LearnerKernels) -> None:
    kernel = await learners.get(KernelKey("8", "lesson-a"), SETUP)
    events = await run(kernel, "import os\nprint(os.environ.get('ACADEMY_SECRET_KEY'))")
    assert stdout(events) == "None\n"


def test_the_kernels_copy_of_the_exercises_has_no_solutions_or_hidden_tests(
    tmp_path: Path,
) -> None:
    exercise = tmp_path / "exercises" / "01-x" / "y"
    for part in ("starter", "solution", "tests/visible", "tests/hidden"):
        (exercise / part).mkdir(parents=True)
        (exercise / part / "file.py").write_text("x = 1\n")
    (exercise / "exercise.toml").write_text('id = "01-x/y"\n')
    course = learner_course_copy(tmp_path / "exercises", tmp_path / "kernels")
    copy = course / "exercises" / "01-x" / "y"
    assert (copy / "starter" / "file.py").is_file()
    assert (copy / "tests" / "visible" / "file.py").is_file()
    assert not (copy / "solution").exists() and not (copy / "tests" / "hidden").exists()
