"""Blocking code: run_blocking keeps the loop free; the watchdog names whoever blocks it."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest
from otp import Process, receive, self, send, spawn
from otp.blocking import LoopWatchdog, install_watchdog_from_env, run_blocking, watch_loop


async def test_run_blocking_returns_the_function_result() -> None:
    assert await run_blocking(sum, [1, 2, 3]) == 6
    assert await run_blocking(lambda a, *, b: a * b, 6, b=7) == 42


async def test_run_blocking_raises_what_the_function_raised() -> None:
    def fail() -> None:
        raise LookupError("missing")

    with pytest.raises(LookupError, match="missing"):
        await run_blocking(fail)


async def test_a_blocking_call_in_run_blocking_lets_another_process_make_progress() -> None:
    released = threading.Event()
    result: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    async def waiter() -> None:
        # Blocks its thread until another *process* sets the event: impossible if the
        # blocking wait held the event loop.
        result.set_result(await run_blocking(released.wait, 5.0))

    async def releaser() -> None:
        released.set()

    spawn(waiter)
    await asyncio.sleep(0)  # let the waiter enter its thread first
    spawn(releaser)
    assert await asyncio.wait_for(result, 10) is True


async def test_a_time_sleep_in_a_process_is_reported_with_its_pid_name_and_duration(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def sleepy() -> None:
        time.sleep(0.3)  # noqa: ASYNC251 -- the mistake the watchdog is for

    with caplog.at_level(logging.WARNING, logger="otp.blocking"):
        async with watch_loop(0.05) as watchdog:
            # A loaded machine may stall the loop briefly elsewhere: wait for *our* stall.
            reported = asyncio.ensure_future(
                watchdog.next_stall(lambda stall: stall.name == "sleepy_worker")
            )
            await asyncio.sleep(0)
            pid = spawn(sleepy)
            Process.register(pid, "sleepy_worker")
            stall = await asyncio.wait_for(reported, 5)
    assert stall.pid == pid
    assert 0.2 <= stall.duration < 2
    assert "sleepy" in stall.where
    [message] = [r.getMessage() for r in caplog.records if repr(pid) in r.getMessage()]
    assert f"blocked for {stall.duration:.3f} s by process {pid!r} ('sleepy_worker')" in message
    assert "run_blocking" in message


async def test_the_watchdog_stays_quiet_while_blocking_work_runs_in_run_blocking() -> None:
    async def offloader(test: Any) -> None:
        await run_blocking(time.sleep, 0.6)
        send(test, "slept")

    async with watch_loop(0.25) as watchdog:
        Process.register(spawn(offloader, self()), "offloader")
        await receive(lambda m: m == "slept", timeout=5)
    # A loaded machine may delay the idle loop now and then (a stall with no process); the
    # process that ran the blocking call must never be the one blamed.
    assert [stall for stall in watchdog.stalls if stall.pid is not None] == []


def test_the_watchdog_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="seconds > 0"):
        LoopWatchdog(0)


def test_the_watchdog_env_var_must_be_a_positive_number(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert install_watchdog_from_env({}) is None
    assert install_watchdog_from_env({"OTP_LOOP_WATCHDOG": "0"}) is None
    with caplog.at_level(logging.WARNING, logger="otp.blocking"):
        assert install_watchdog_from_env({"OTP_LOOP_WATCHDOG": "soon"}) is None
    assert "not a number of seconds" in caplog.text


def test_setting_the_env_var_watches_every_loop_started_after_import_otp() -> None:
    script = textwrap.dedent(
        """
        import asyncio, logging, time
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        import otp

        async def blocker():
            time.sleep(0.3)

        async def main():
            await asyncio.sleep(0)  # the watchdog starts with the loop's first callbacks
            watchdog = otp.blocking.loop_watchdog()
            reported = asyncio.ensure_future(watchdog.next_stall(lambda s: s.name == "blocker"))
            await asyncio.sleep(0)
            otp.Process.register(otp.spawn(blocker), "blocker")
            await asyncio.wait_for(reported, 5)

        asyncio.run(main())
        """
    )
    env = {**os.environ, "OTP_LOOP_WATCHDOG": "0.05"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "otp.blocking: the event loop was blocked for" in done.stderr
    assert "('blocker')" in done.stderr


async def test_the_blocking_thread_is_not_a_process_so_otp_calls_there_fail_loudly() -> None:
    async def caller() -> None:
        def misuse() -> None:
            self()

        with pytest.raises(RuntimeError, match="running asyncio event loop"):
            await run_blocking(misuse)
        finished.set_result(True)

    finished: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    spawn(caller)
    assert await asyncio.wait_for(finished, 5)
