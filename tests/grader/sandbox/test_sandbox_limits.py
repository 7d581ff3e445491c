"""Runaway submissions end as a clear exit of *that* run; the launcher serves the next one."""

from __future__ import annotations

import signal

import pytest
from sandbox_support import assert_still_serves, pid_namespace_members, run

from grader.sandbox import Limits

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_infinite_loop_is_killed_at_the_wall_clock_limit(launcher):
    _, exit_ = await run(launcher, """
        def main(fd):
            while True:
                pass
    """, Limits(wall_seconds=0.5, cpu_seconds=30))
    assert exit_.timed_out
    assert exit_.signal == signal.SIGKILL and exit_.returncode is None
    assert 500 <= exit_.wall_ms < 5000
    await assert_still_serves(launcher)


async def test_sleeping_forever_is_killed_at_the_wall_clock_limit(launcher):
    _, exit_ = await run(launcher, """
        import time
        def main(fd):
            time.sleep(10**6)
    """, Limits(wall_seconds=0.3))
    assert exit_.timed_out and exit_.signal == signal.SIGKILL
    await assert_still_serves(launcher)


async def test_cpu_limit_kills_before_the_wall_clock_does(launcher):
    _, exit_ = await run(launcher, """
        def main(fd):
            while True:
                pass
    """, Limits(wall_seconds=10, cpu_seconds=1))
    assert not exit_.timed_out  # 1 s of CPU ended it long before the 10 s wall clock
    assert exit_.signal == signal.SIGKILL
    await assert_still_serves(launcher)


async def test_fork_bomb_is_capped_and_every_process_is_gone_afterwards(launcher):
    frames, exit_ = await run(launcher, """
        import os, time
        from grader.sandbox.channel import SyncChannel
        def main(fd):
            channel = SyncChannel.from_fd(fd)
            children, error = 0, None
            for _ in range(10_000):
                try:
                    if os.fork() == 0:
                        time.sleep(10**6)
                        os._exit(0)
                    children += 1
                except OSError as exc:
                    error = exc.errno
                    break
            channel.send({"children": children, "errno": error,
                          "ns": os.readlink("/proc/self/ns/pid")})
    """, Limits(wall_seconds=5, max_processes=16))
    assert exit_.returncode == 0, exit_.stderr
    report = frames[0]
    assert report["errno"] == 11  # EAGAIN: RLIMIT_NPROC refused the 16th process
    assert report["children"] < 16
    assert pid_namespace_members(report["ns"]) == []
    await assert_still_serves(launcher)


async def test_memory_bomb_gets_memory_error_and_the_grader_is_unharmed(launcher):
    frames, exit_ = await run(launcher, """
        from grader.sandbox.channel import SyncChannel
        def main(fd):
            channel = SyncChannel.from_fd(fd)
            hoard = []
            try:
                while True:
                    hoard.append(bytearray(16 * 2**20))
            except MemoryError:
                held = len(hoard) * 16
                hoard.clear()
                channel.send({"held_mib": held})
            raise MemoryError("again, uncaught")
    """, Limits(wall_seconds=5, memory_bytes=256 * 2**20))
    assert frames[0]["held_mib"] < 256
    assert exit_.returncode == 1 and b"MemoryError: again, uncaught" in exit_.stderr
    await assert_still_serves(launcher)


@pytest.mark.parametrize("directory", [".", "/tmp"])
async def test_filling_the_disk_stops_at_the_scratch_size(launcher, directory):
    frames, exit_ = await run(launcher, f"""
        import errno, os
        from grader.sandbox.channel import SyncChannel
        def main(fd):
            written, error = 0, None
            chunk = b"x" * 2**20
            try:
                for n in range(1000):
                    with open(os.path.join({directory!r}, f"fill-{{n}}"), "wb") as f:
                        f.write(chunk)
                    written += len(chunk)
            except OSError as exc:
                error = errno.errorcode[exc.errno]
            SyncChannel.from_fd(fd).send({{"written": written, "error": error}})
    """, Limits(wall_seconds=5, scratch_bytes=8 * 2**20))
    assert exit_.returncode == 0, exit_.stderr
    assert frames[0]["error"] == "ENOSPC"
    assert frames[0]["written"] <= 8 * 2**20
    await assert_still_serves(launcher)


async def test_a_file_over_the_size_limit_cannot_be_written(launcher):
    frames, exit_ = await run(launcher, """
        import errno, os
        from grader.sandbox.channel import SyncChannel
        def main(fd):
            try:
                with open("big", "wb") as f:
                    f.write(b"x" * 2 * 2**20)
                error = None
            except OSError as exc:
                error = errno.errorcode[exc.errno]
            SyncChannel.from_fd(fd).send({"error": error, "size": os.path.getsize("big")})
    """, Limits(wall_seconds=5, file_size_bytes=2**20))
    assert exit_.returncode == 0, exit_.stderr
    assert frames[0] == {"error": "EFBIG", "size": 2**20}
    await assert_still_serves(launcher)


async def test_output_floods_are_capped_and_flagged_without_blocking_the_run(launcher):
    _, exit_ = await run(launcher, """
        import os
        def main(fd):
            line = b"y" * 1023 + b"\\n"
            for _ in range(20_000):  # 20 MiB on each stream
                os.write(1, line)
                os.write(2, line)
    """, Limits(wall_seconds=10, output_bytes=4096))
    assert exit_.returncode == 0 and not exit_.timed_out
    assert exit_.stdout == exit_.stderr == (b"y" * 1023 + b"\n") * 4
    assert exit_.stdout_truncated and exit_.stderr_truncated
    await assert_still_serves(launcher)


async def test_short_output_is_kept_whole_and_not_flagged(launcher):
    _, exit_ = await run(launcher, """
        import sys
        def main(fd):
            print("out")
            print("err", file=sys.stderr)
    """)
    assert (exit_.stdout, exit_.stderr) == (b"out\n", b"err\n")
    assert not exit_.stdout_truncated and not exit_.stderr_truncated


async def test_closing_stdout_and_stderr_is_harmless(launcher):
    frames, exit_ = await run(launcher, """
        import os
        from grader.sandbox.channel import SyncChannel
        def main(fd):
            os.close(1)
            os.close(2)
            SyncChannel.from_fd(fd).send({"still": "talking"})
    """)
    assert frames == [{"still": "talking"}]
    assert exit_.returncode == 0 and not exit_.timed_out
    await assert_still_serves(launcher)


async def test_kill_ends_a_running_sandbox_and_is_idempotent(launcher):
    process = await launcher.spawn({"a.py": b"import time\ndef main(fd): time.sleep(100)\n"},
                                   Limits(wall_seconds=30), "a:main")
    first = await process.kill()
    second = await process.kill()
    assert first == second
    assert first.signal == signal.SIGKILL and not first.timed_out
    await process.channel.close()
    await assert_still_serves(launcher)


async def test_output_printed_before_a_kill_is_captured(launcher):
    async with await launcher.spawn({"a.py": b"""
import sys, time
from grader.sandbox.channel import SyncChannel
def main(fd):
    print("line")
    print("no newline", end="")
    sys.stderr.write("partial")
    SyncChannel.from_fd(fd).send({"printed": True})
    time.sleep(100)
"""}, Limits(wall_seconds=30), "a:main") as process:
        assert await process.channel.recv(timeout=5) == {"printed": True}
        exit_ = await process.kill()
    assert (exit_.stdout, exit_.stderr) == (b"line\nno newline", b"partial")
    await assert_still_serves(launcher)
