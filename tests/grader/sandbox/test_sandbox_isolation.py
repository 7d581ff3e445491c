"""What a submission cannot reach: the network, the grader's files, secrets and processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import pytest
from sandbox_support import FAST, assert_still_serves, module, pid_namespace_members, run

from grader.sandbox import Isolation, Limits, SubmissionFilesError

pytestmark = pytest.mark.asyncio(loop_scope="module")

REPO = Path(__file__).resolve().parents[3]


def _untouched_on_host(paths: list[str]) -> bool:
    """No write reached the host: the files are absent or hold no trace of the attack."""
    return all(not Path(path).exists() or "pwned" not in Path(path).read_text(errors="replace")
               for path in paths) and not (REPO / "grader" / "evil.py").exists()


def _host_uids(pid: int) -> list[str]:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]


def _host_tmp_entries() -> list[str]:
    return [str(path) for path in Path("/tmp").iterdir()] + \
        [str(path) for path in Path("/var/tmp").iterdir()]


async def test_sandbox_runs_with_full_isolation_on_this_host(launcher):
    assert launcher.isolation is Isolation.NAMESPACES
    _, exit_ = await run(launcher, "def main(fd): pass")
    assert exit_.isolation is Isolation.NAMESPACES and exit_.returncode == 0
    await assert_still_serves(launcher)


async def test_network_connections_fail_even_to_the_hosts_loopback(launcher):
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        frames, exit_ = await run(launcher, f"""
            import socket
            from grader.sandbox.channel import SyncChannel
            def attempt(host, port):
                try:
                    socket.create_connection((host, port), timeout=1).close()
                    return "connected"
                except OSError as exc:
                    return type(exc).__name__
            def main(fd):
                SyncChannel.from_fd(fd).send({{
                    "postgres": attempt("127.0.0.1", 5432),
                    "grader_listener": attempt("127.0.0.1", {port}),
                    "internet": attempt("1.1.1.1", 80),
                }})
        """)
    assert exit_.returncode == 0, exit_.stderr
    assert frames == [{"postgres": "ConnectionRefusedError",
                       "grader_listener": "ConnectionRefusedError",
                       "internet": "OSError"}]  # ENETUNREACH: no route out of the namespace
    await assert_still_serves(launcher)


async def test_repository_exercises_and_service_data_are_not_in_the_sandbox(launcher, tmp_path):
    data_dir = tmp_path / "service-data"
    data_dir.mkdir()
    (data_dir / "academy.sqlite3").write_bytes(b"SQLite format 3\0 secrets")
    paths = [str(REPO / "exercises"), str(REPO), str(REPO / "pyproject.toml"), str(data_dir),
             str(data_dir / "academy.sqlite3"), "/root", "/home", "/etc/shadow", "/etc/ssh",
             str(Path.home() / ".ssh"), "/var/lib/postgresql", "/var/run/postgresql",
             "/run", "/proc/1/environ"]
    frames, exit_ = await run(launcher, f"""
        import os
        from grader.sandbox.channel import SyncChannel
        def probe(path):
            try:
                if os.path.isdir(path):
                    return sorted(os.listdir(path))
                with open(path, "rb") as f:
                    return f.read(64).decode("latin-1")
            except OSError as exc:
                return type(exc).__name__
        def main(fd):
            SyncChannel.from_fd(fd).send({{p: probe(p) for p in {paths!r}}})
    """)
    assert exit_.returncode == 0, exit_.stderr
    seen = frames[0]
    assert seen[str(REPO / "exercises")] == "FileNotFoundError"
    assert seen[str(REPO)] == [".venv", "grader", "platform"]  # mount points only
    assert seen[str(REPO / "pyproject.toml")] == "FileNotFoundError"
    assert seen[str(data_dir)] == "FileNotFoundError"
    assert seen[str(data_dir / "academy.sqlite3")] == "FileNotFoundError"
    assert seen["/root"] in (["."], [".pyenv"])  # only the path down to the Python install
    for path in ("/home", "/etc/shadow", "/etc/ssh", str(Path.home() / ".ssh"),
                 "/var/lib/postgresql", "/var/run/postgresql", "/run"):
        assert seen[path] == "FileNotFoundError", path
    await assert_still_serves(launcher)


async def test_writing_anywhere_but_scratch_and_tmp_fails(launcher):
    targets = ["/evil", "/usr/evil", "/etc/passwd", str(REPO / "grader" / "evil.py"),
               str(REPO / ".venv" / "evil.pth"), "/dev/evil", "/proc/evil"]
    frames, exit_ = await run(launcher, f"""
        from grader.sandbox.channel import SyncChannel
        def attempt(path):
            try:
                with open(path, "a") as f:
                    f.write("pwned")
                return "written"
            except OSError as exc:
                return type(exc).__name__
        def main(fd):
            results = {{p: attempt(p) for p in {targets!r}}}
            results["scratch"] = attempt("here.txt")
            results["tmp"] = attempt("/tmp/there.txt")
            SyncChannel.from_fd(fd).send(results)
    """)
    assert exit_.returncode == 0, exit_.stderr
    results = frames[0]
    assert results.pop("scratch") == results.pop("tmp") == "written"
    assert all(outcome in ("OSError", "PermissionError", "FileNotFoundError")
               for outcome in results.values()), results
    assert _untouched_on_host(targets)
    await assert_still_serves(launcher)


async def test_a_daemon_that_tries_to_outlive_the_run_is_gone_after_it(launcher):
    frames, exit_ = await run(launcher, """
        import os, time
        from grader.sandbox.channel import SyncChannel
        def main(fd):
            channel = SyncChannel.from_fd(fd)
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(10**6)  # the daemon, holding stdout open
                os._exit(0)
            channel.send({"ns": os.readlink("/proc/self/ns/pid")})
    """)
    assert exit_.returncode == 0 and not exit_.timed_out  # the daemon did not hold the run
    assert pid_namespace_members(frames[0]["ns"]) == []
    await assert_still_serves(launcher)


async def test_signalling_the_parent_or_the_grader_does_not_reach_them(launcher):
    zygote = launcher.zygote_pid
    frames, exit_ = await run(launcher, f"""
        import os, signal
        from grader.sandbox.channel import SyncChannel
        def attempt(pid):
            try:
                os.kill(pid, signal.SIGKILL)
                return "sent"
            except OSError as exc:
                return type(exc).__name__
        def main(fd):
            channel = SyncChannel.from_fd(fd)
            channel.send({{"ppid": os.getppid(),
                           "grader": attempt({os.getpid()}),
                           "zygote": attempt({zygote})}})
            os.kill(os.getppid(), signal.SIGKILL)  # ppid 0: its own process group
            os.kill(1, signal.SIGKILL)  # itself, pid 1 of its namespace
            channel.send({{"alive": True, "everyone_else": attempt(-1)}})
    """)
    assert exit_.returncode == 0, exit_.stderr
    assert frames[0] == {"ppid": 0, "grader": "ProcessLookupError",
                         "zygote": "ProcessLookupError"}
    # pid 1 of its namespace ignores even SIGKILL from inside, and -1 finds nobody else
    assert frames[1] == {"alive": True, "everyone_else": "ProcessLookupError"}
    assert launcher.zygote_pid == zygote
    os.kill(zygote, 0)
    await assert_still_serves(launcher)


async def test_environment_holds_none_of_the_graders_variables(launcher, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:secret@127.0.0.1/academy")
    for cold in (False, True):
        frames, _ = await run(launcher, """
            import os
            from grader.sandbox.channel import SyncChannel
            def main(fd):
                SyncChannel.from_fd(fd).send(dict(os.environ))
        """, cold=cold)
        assert frames[0] == {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
                             "LC_ALL": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
                             "USER": "learner", "HOME": "/scratch", "TMPDIR": "/tmp"}
    await assert_still_serves(launcher)


async def test_only_stdio_and_the_channel_are_open(launcher):
    frames, _ = await run(launcher, """
        import os
        from grader.sandbox.channel import SyncChannel
        def main(fd):
            open_fds = []
            for candidate in range(1024):
                try:
                    os.fstat(candidate)
                    open_fds.append(candidate)
                except OSError:
                    pass
            SyncChannel.from_fd(fd).send({"fds": open_fds, "channel": fd,
                                          "stdin": os.readlink("/proc/self/fd/0")})
    """)
    assert frames[0] == {"fds": [0, 1, 2, 3], "channel": 3, "stdin": "/dev/null"}
    await assert_still_serves(launcher)


async def test_the_learner_is_not_root_inside_nor_on_the_host(launcher):
    async with await launcher.spawn(module("""
        import os
        from grader.sandbox.channel import SyncChannel
        def main(fd):
            channel = SyncChannel.from_fd(fd)
            channel.send({"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
                          "ns": os.readlink("/proc/self/ns/pid"), "pid": os.getpid(),
                          "cap_eff": [line.split()[1] for line in open("/proc/self/status")
                                      if line.startswith("CapEff")][0]})
            channel.recv()  # stay alive while the host looks at us
    """), FAST, "attack:main") as process:
        inside = await process.channel.recv(timeout=5)
        (host_pid,) = pid_namespace_members(inside["ns"])
        host_uids = _host_uids(host_pid)
        await process.channel.send({"done": True})
        await process.wait()
    assert (inside["uid"], inside["euid"], inside["gid"], inside["pid"]) == (1000, 1000, 1000, 1)
    assert inside["cap_eff"] == "0000000000000000"
    assert "0" not in host_uids
    if os.geteuid() == 0:
        assert host_uids == ["65534"] * 4
    await assert_still_serves(launcher)


async def test_the_sandbox_sees_only_its_own_processes_and_hostname(launcher):
    frames, _ = await run(launcher, """
        import os, socket
        from grader.sandbox.channel import SyncChannel
        def main(fd):
            SyncChannel.from_fd(fd).send({
                "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
                "hostname": socket.gethostname()})
    """)
    assert frames[0] == {"pids": [1], "hostname": "sandbox"}
    await assert_still_serves(launcher)


async def test_submitted_files_are_importable_from_the_scratch_dir(launcher):
    files = {"stack.py": b"def push(s, x): return [*s, x]\n",
             "pkg/__init__.py": b"", "pkg/helper.py": b"VALUE = 42\n",
             "attack.py": b"import os, stack, pkg.helper\n"
                          b"from grader.sandbox.channel import SyncChannel\n"
                          b"def main(fd):\n"
                          b"    SyncChannel.from_fd(fd).send({'cwd': os.getcwd(),\n"
                          b"        'push': stack.push([1], 2), 'value': pkg.helper.VALUE})\n"}
    async with await launcher.spawn(files, FAST, "attack:main") as process:
        assert await process.channel.recv(timeout=5) == {"cwd": "/scratch", "push": [1, 2],
                                                         "value": 42}
    await assert_still_serves(launcher)


@pytest.mark.parametrize("name", ["../escape.py", "/etc/passwd", "a/../../b.py", "", "./x.py"])
async def test_file_names_that_could_escape_the_scratch_dir_are_refused(launcher, name):
    with pytest.raises(SubmissionFilesError, match="plain relative path"):
        await launcher.spawn({name: b"x"}, FAST, "attack:main")


async def test_the_cold_path_isolates_exactly_like_the_zygote(launcher):
    source = """
        import os
        from grader.sandbox.channel import SyncChannel
        def main(fd):
            SyncChannel.from_fd(fd).send({"pid": os.getpid(), "uid": os.getuid(),
                                          "root": sorted(os.listdir("/"))})
    """
    warm, _ = await run(launcher, source)
    cold, exit_ = await run(launcher, source, cold=True)
    assert warm == cold and exit_.isolation is Isolation.NAMESPACES
    await assert_still_serves(launcher)


async def test_a_killed_zygote_is_replaced_on_the_next_spawn(launcher):
    old = launcher.zygote_pid
    os.kill(old, signal.SIGKILL)
    await assert_still_serves(launcher)
    assert launcher.zygote_pid not in (None, old)


async def test_rlimits_only_mode_is_forced_by_the_environment_and_says_so(monkeypatch):
    from grader.sandbox import SandboxLauncher

    monkeypatch.setenv("ACADEMY_SANDBOX_ISOLATION", "rlimits-only")
    async with SandboxLauncher(preload=()) as reduced:
        assert reduced.isolation is Isolation.RLIMITS_ONLY
        process = await reduced.spawn(module("""
            import os
            from grader.sandbox.channel import SyncChannel
            def main(fd):
                SyncChannel.from_fd(fd).send({"uid": os.getuid(), "home": os.environ["HOME"]})
        """), FAST, "attack:main")
        assert process.isolation is Isolation.RLIMITS_ONLY
        frame = await process.channel.recv(timeout=5)
        exit_ = await process.wait()
        await process.channel.close()
        assert exit_.isolation is Isolation.RLIMITS_ONLY and exit_.returncode == 0
        if os.geteuid() == 0:
            assert frame["uid"] == 65534
        assert frame["home"] not in _host_tmp_entries()  # the scratch dir was removed
        _, looping = await run(reduced, "def main(fd):\n    while True: pass\n",
                               Limits(wall_seconds=0.3))
        assert looping.timed_out and looping.isolation is Isolation.RLIMITS_ONLY
        await assert_still_serves(reduced)


def _children_of(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry))
    return children


@pytest.mark.skipif(os.geteuid() != 0, reason="only a root grader's zygote keeps a spare")
async def test_a_dead_spare_sandbox_is_replaced_by_a_fresh_fork(launcher):
    # The zygote forks the next spare right after answering a spawn; nothing announces it.
    for _ in range(200):
        spares = _children_of(launcher.zygote_pid)  # idle: only the spare's monitor
        if spares:
            break
        await asyncio.sleep(0.01)
    assert len(spares) == 1
    spare = os.pidfd_open(spares[0])
    signal.pidfd_send_signal(spare, signal.SIGKILL)
    loop = asyncio.get_running_loop()
    dead = loop.create_future()
    loop.add_reader(spare, lambda: dead.done() or dead.set_result(None))
    await dead
    loop.remove_reader(spare)
    os.close(spare)
    frames, exit_ = await run(launcher, """
        import os
        from grader.sandbox.channel import SyncChannel
        def main(fd):
            SyncChannel.from_fd(fd).send({"pid": os.getpid(), "uid": os.getuid()})
    """)
    assert frames == [{"pid": 1, "uid": 1000}] and exit_.returncode == 0
    await assert_still_serves(launcher)


async def test_the_runtime_still_works_inside(launcher):
    frames, exit_ = await run(launcher, """
        import subprocess, sys
        from grader.sandbox.channel import SyncChannel
        def main(fd):
            import decimal, sqlite3, xml.dom.minidom, zoneinfo  # not preloaded: read lazily
            import otp
            child = subprocess.run([sys.executable, "-c", "import asyncio; print(6 * 7)"],
                                   capture_output=True, text=True)
            db = sqlite3.connect("/tmp/scratch.db")
            db.execute("create table t (x)")
            SyncChannel.from_fd(fd).send({
                "decimal": str(decimal.Decimal("0.1") * 3), "otp": hasattr(otp, "GenServer"),
                "child": child.stdout.strip(), "child_err": child.stderr[-200:]})
    """)
    assert exit_.returncode == 0, exit_.stderr
    assert frames == [{"decimal": "0.3", "otp": True, "child": "42", "child_err": ""}]
    await assert_still_serves(launcher)


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the seccomp filter is x86_64 only")
async def test_seccomp_refuses_namespaces_mounts_and_kernel_surfaces_but_not_threads(launcher):
    frames, exit_ = await run(launcher, """
        import ctypes, os, threading
        from grader.sandbox.channel import SyncChannel
        libc = ctypes.CDLL(None, use_errno=True)
        def errno_of(result):
            return "allowed" if result == 0 else os.strerror(ctypes.get_errno())
        def main(fd):
            seen = []
            worker = threading.Thread(target=seen.append, args=("thread ran",))
            worker.start()
            worker.join()
            pid = os.fork()
            if pid == 0:
                os._exit(7)
            _, status = os.waitpid(pid, 0)
            SyncChannel.from_fd(fd).send({
                "unshare_user": errno_of(libc.unshare(0x10000000)),
                "unshare_net": errno_of(libc.unshare(0x40000000)),
                "mount": errno_of(libc.mount(b"none", b"/tmp", b"tmpfs", 0, None)),
                "io_uring": errno_of(libc.syscall(425, 8, ctypes.c_void_p(0))),
                "ptrace": errno_of(libc.ptrace(16, 1, None, None)),
                "thread": seen, "fork": os.waitstatus_to_exitcode(status),
            })
    """)
    assert exit_.returncode == 0, exit_.stderr
    denied = "Operation not permitted"
    assert frames == [{"unshare_user": denied, "unshare_net": denied, "mount": denied,
                       "io_uring": denied, "ptrace": denied, "thread": ["thread ran"],
                       "fork": 7}]
    await assert_still_serves(launcher)
