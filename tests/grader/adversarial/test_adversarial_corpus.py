"""The adversarial corpus: one submission per attack in docs/grading-security.md.

Each is graded through the full engine and the real sandbox (namespaces), and the test
asserts the exact verdict, that nothing of the hidden tests reached the result, and that the
very next honest submission is still graded full marks by the same launcher.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from grader.engine import GradingResult, grade
from grader.sandbox import Isolation

pytestmark = pytest.mark.asyncio(loop_scope="module")

SUBMISSIONS = Path(__file__).parent / "submissions"
REPO = Path(__file__).resolve().parents[3]

# attack file -> (overall status, score, status of each test)
EXPECTED: dict[str, tuple[str, float, tuple[str, str]]] = {
    "infinite_loop": ("timeout", 0, ("timeout", "timeout")),
    "sleep_forever": ("timeout", 0, ("timeout", "timeout")),
    "fork_bomb": ("timeout", 0, ("timeout", "timeout")),
    "memory_bomb": ("fail", 0, ("error", "error")),
    "disk_fill": ("fail", 0, ("error", "error")),
    "network_connect": ("fail", 0, ("error", "error")),
    "read_outside": ("fail", 0, ("error", "error")),
    "os_exit": ("fail", 0, ("error", "error")),
    "sys_exit": ("fail", 0, ("error", "error")),
    "keyboard_interrupt": ("fail", 0, ("error", "error")),
    "base_exception": ("fail", 0, ("error", "error")),
    "monkeypatch_pytest": ("fail", 0, ("fail", "fail")),
    "eq_always_true": ("fail", 0, ("fail", "fail")),
    "fake_results": ("fail", 0, ("fail", "fail")),
    "kill_parent": ("fail", 0, ("fail", "fail")),
    "garbage_frames": ("fail", 0, ("error", "error")),
    "huge_answer": ("fail", 0, ("error", "fail")),  # too big to send / crosses as a reference
    # Contained attacks that still answer 42: the honest part earns its points.
    "output_flood": ("pass", 2, ("pass", "pass")),
    "close_stdout": ("pass", 2, ("pass", "pass")),
    "daemon": ("pass", 2, ("pass", "pass")),
}


async def grade_file(target, launcher, name: str) -> GradingResult:
    source = (SUBMISSIONS / f"{name}.py").read_text()
    return await grade(target, {"target.py": source}, launcher=launcher)


def assert_nothing_hidden_leaked(result: GradingResult) -> None:
    text = json.dumps(result.to_json())
    assert "hidden-marker" not in text
    hidden = [t for t in result.to_json()["tests"] if t["visibility"] == "hidden"]
    for test in hidden:
        assert "expected" not in test and "actual" not in test
        assert "await target.answer_async()" not in (test["message"] or "")


@pytest.mark.parametrize("attack", sorted(EXPECTED))
async def test_attack_gets_exactly_its_verdict_and_the_next_honest_submission_full_marks(
    target, launcher, attack
):
    status, score, per_test = EXPECTED[attack]
    result = await grade_file(target, launcher, attack)
    assert result.isolation == Isolation.NAMESPACES.value
    assert (result.status.value, result.score) == (status, score), result.to_json()
    assert tuple(test.status.value for test in result.tests) == per_test
    assert_nothing_hidden_leaked(result)
    honest = await grade_file(target, launcher, "honest")
    assert (honest.status.value, honest.score) == ("pass", 2)


async def test_exiting_at_import_is_an_error_whatever_it_printed(target, launcher):
    result = await grade_file(target, launcher, "os_exit_at_import")
    assert (result.status.value, result.score, result.tests) == ("error", 0, ())
    assert "ended the sandbox while it was imported" in result.message


async def test_an_output_flood_is_capped_and_flagged(target, launcher):
    result = await grade_file(target, launcher, "output_flood")
    limit = target.limits.output_kb * 1024
    assert result.output.truncated
    assert len(result.output.stdout.encode()) <= limit
    assert len(result.output.stderr.encode()) <= limit


async def test_printed_and_written_fake_results_change_nothing(target, launcher):
    before = {path: path.exists() for path in (REPO / "results.json", Path("/tmp/results.json"))}
    result = await grade_file(target, launcher, "fake_results")
    assert '"status": "pass"' in result.output.stdout  # it did print its fake verdict...
    assert result.score == 0  # ...which is only text
    for path, existed in before.items():
        assert path.exists() == existed


async def test_a_daemon_does_not_outlive_the_grading(target, launcher):
    result = await grade_file(target, launcher, "daemon")
    assert result.score == 2
    survivors = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"4242.4242" in cmdline:
                survivors.append(entry.name)
    assert survivors == []


async def test_killing_the_parent_reaches_neither_the_grader_nor_the_zygote(target, launcher):
    zygote = launcher.zygote_pid
    result = await grade_file(target, launcher, "kill_parent")
    assert result.score == 0
    assert zygote is not None
    os.kill(zygote, 0)  # still alive: raises ProcessLookupError otherwise
    assert launcher.zygote_pid == zygote


async def test_a_disk_fill_stays_in_the_sandboxes_own_scratch_space(target, launcher):
    outside = [Path("/tmp/fill.bin"), REPO / "fill.bin"]
    before = {path: path.exists() for path in outside}
    result = await grade_file(target, launcher, "disk_fill")
    assert result.score == 0
    assert "File too large" in (result.tests[0].message or "")
    for path, existed in before.items():
        assert path.exists() == existed
