"""Nothing outlives the grader: killing it takes its zygote and every sandbox with it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import textwrap

import pytest
from sandbox_support import pid_namespace_members

_GRADER = textwrap.dedent("""
    import asyncio, json, sys
    from grader.sandbox import Limits, SandboxLauncher
    SLEEPER = b'''
    import os, time
    from grader.sandbox.channel import SyncChannel
    def main(fd):
        if os.fork() == 0:
            time.sleep(10**6)
        SyncChannel.from_fd(fd).send({"ns": os.readlink("/proc/self/ns/pid")})
        time.sleep(10**6)
    '''
    async def main():
        launcher = SandboxLauncher(preload=())
        await launcher.start()
        process = await launcher.spawn({"sleeper.py": SLEEPER}, Limits(wall_seconds=60),
                                       "sleeper:main")
        frame = await process.channel.recv(timeout=10)
        print(json.dumps({"zygote": launcher.zygote_pid, **frame}), flush=True)
        await asyncio.sleep(10**6)
    asyncio.run(main())
""")


async def _exited(pid: int) -> None:
    pidfd = os.pidfd_open(pid)
    loop = asyncio.get_running_loop()
    gone = loop.create_future()
    loop.add_reader(pidfd, lambda: gone.done() or gone.set_result(None))
    try:
        await asyncio.wait_for(gone, 5)
    finally:
        loop.remove_reader(pidfd)
        os.close(pidfd)


async def test_killing_the_grader_kills_its_zygote_and_sandboxes():
    grader = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _GRADER, stdout=asyncio.subprocess.PIPE)
    assert grader.stdout is not None
    started = json.loads(await asyncio.wait_for(grader.stdout.readline(), 30))
    sandboxed = pid_namespace_members(started["ns"])
    assert len(sandboxed) == 2  # the entry and its child
    watched = [started["zygote"], *sandboxed]
    waits = [asyncio.ensure_future(_exited(pid)) for pid in watched]
    await asyncio.sleep(0)  # pidfds opened while the processes still exist
    grader.send_signal(signal.SIGKILL)
    await grader.wait()
    await asyncio.gather(*waits)
    # Dead but not yet reaped (the reaper died too) they linger as zombies for a moment; the
    # kernel offers no event for "reaped", so look until they are gone.
    for _ in range(500):
        if not pid_namespace_members(started["ns"]):
            break
        await asyncio.sleep(0.01)
    assert pid_namespace_members(started["ns"]) == []


async def test_a_sandbox_that_cannot_be_built_is_a_setup_error_not_an_exit():
    from grader.sandbox import SandboxLauncher, SandboxSetupError

    async with SandboxLauncher(preload=()) as launcher:
        # "a" as a file and as a directory: placing the files fails inside the sandbox.
        process = await launcher.spawn({"a": b"file", "a/b.py": b"x = 1\n"}, entry="a.b:x")
        with pytest.raises(SandboxSetupError, match="could not be built"):
            await process.wait()
        await process.channel.close()


async def test_a_zygote_that_cannot_preload_leaves_the_launcher_on_the_cold_path(caplog):
    from grader.sandbox import Isolation, SandboxLauncher

    async with SandboxLauncher(preload=("no_such_module_anywhere",)) as launcher:
        assert launcher.zygote_pid is None
        assert "no_such_module_anywhere" in caplog.text
        assert launcher.isolation is Isolation.NAMESPACES
        process = await launcher.spawn({}, entry="grader.sandbox._probe:ready")
        assert await process.channel.recv(timeout=10) == {"ready": True}
        assert (await process.wait()).returncode == 0
        await process.channel.close()


async def test_concurrent_spawns_each_get_their_own_sandbox_and_channel():
    from grader.sandbox import SandboxLauncher

    async with SandboxLauncher(preload=()) as launcher:
        processes = await asyncio.gather(*(
            launcher.spawn({}, entry="grader.sandbox._probe:echo") for _ in range(6)))
        for index, process in enumerate(processes):
            await process.channel.send({"index": index})
        answers = [await process.channel.recv(timeout=10) for process in processes]
        exits = [await process.wait() for process in processes]
        for process in processes:
            await process.channel.close()
    assert answers == [{"index": index} for index in range(6)]
    assert [exit_.returncode for exit_ in exits] == [0] * 6


async def test_concurrent_first_spawns_share_one_start_and_full_isolation():
    from grader.sandbox import Isolation, SandboxLauncher

    launcher = SandboxLauncher(preload=())  # not started: the spawns start it
    processes = await asyncio.gather(*(
        launcher.spawn({}, entry="grader.sandbox._probe:ready") for _ in range(3)))
    try:
        assert [process.isolation for process in processes] == [Isolation.NAMESPACES] * 3
        for process in processes:
            assert await process.channel.recv(timeout=10) == {"ready": True}
            await process.wait()
            await process.channel.close()
    finally:
        await launcher.close()
