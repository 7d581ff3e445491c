"""Application: start order, reverse stop, dependencies, restart types, env and runtime config."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from otp import (
    ConfigError,
    Down,
    GenServer,
    Ok,
    Pid,
    Process,
    Supervisor,
    receive,
    self,
    send,
)
from otp.application import AppInfo, Application, ApplicationError, AppSpec
from otp.config import EnvVar, parse_bool

pytestmark = pytest.mark.usefixtures("no_leaks", "stop_applications")

_names = itertools.count()


def fresh(name: str) -> str:
    """An application name no other test uses (specs and env are per interpreter)."""
    return f"{name}_{next(_names)}"


@pytest.fixture
async def stop_applications() -> Any:
    yield
    for app in Application.started_applications():
        await Application.stop(app.name)


class Worker(GenServer):
    """Records its init and terminate in the shared ``events`` list."""

    async def init(self, arg: tuple[str, list[Any]]) -> Ok:
        name, events = arg
        Process.flag("trap_exit", True)  # so that terminate runs on shutdown
        events.append(("init", name))
        return Ok(arg)

    async def terminate(self, reason: Any, state: tuple[str, list[Any]]) -> None:
        name, events = state
        events.append(("terminate", name, reason))


class RecordingShop(Application):
    """Starts a supervisor with workers a and b; records its callbacks in ``events`` and tells
    the test (``test_pid``) its top supervisor's pid and when it has stopped."""

    async def start(self, start_type: str, args: tuple[list[Any], Pid, str]) -> Pid:
        self.events, self.test_pid, self.app_name = args
        self.events.append(("start", start_type))
        children = [Worker.child_spec((n, self.events), id=n) for n in ("a", "b")]
        sup = await Supervisor.start_link(children, strategy="one_for_one")
        assert sup is not None
        send(self.test_pid, ("top", self.app_name, sup))
        return sup

    async def prep_stop(self, state: Any) -> Any:
        self.events.append(("prep_stop", state))
        return "prepared"

    async def stop(self, state: Any) -> None:
        self.events.append(("stop", state))
        send(self.test_pid, ("stopped", self.app_name))


def shop(name: str, events: list[Any], **fields: Any) -> AppSpec:
    return AppSpec(name, mod=(RecordingShop, (events, self(), name)), **fields)


def library(name: str, *deps: str, **fields: Any) -> AppSpec:
    return AppSpec(name, applications=deps, **fields)


def running() -> list[str]:
    return [app.name for app in Application.started_applications()]


# --- start and stop ---------------------------------------------------------------------


async def test_start_runs_the_callback_then_the_top_supervisor_starts_its_children() -> None:
    events: list[Any] = []
    await Application.start(shop(fresh("shop"), events))
    assert events == [("start", "normal"), ("init", "a"), ("init", "b")]


async def test_starting_twice_raises_already_started() -> None:
    name = fresh("shop")
    await Application.start(shop(name, []))
    with pytest.raises(ApplicationError) as info:
        await Application.start(name)
    assert info.value.reason == ("already_started", name)


async def test_stop_runs_prep_stop_then_stops_the_tree_in_reverse_then_stop() -> None:
    events: list[Any] = []
    name = fresh("shop")
    await Application.start(shop(name, events))
    events.clear()
    await Application.stop(name)
    assert events == [
        ("prep_stop", None),
        ("terminate", "b", "shutdown"),
        ("terminate", "a", "shutdown"),
        ("stop", "prepared"),
    ]
    assert name not in running()


async def test_stopping_an_application_that_is_not_started_raises_not_started() -> None:
    with pytest.raises(ApplicationError) as info:
        await Application.stop("never_started")
    assert info.value.reason == ("not_started", "never_started")


async def test_starting_an_unknown_application_says_to_load_it() -> None:
    with pytest.raises(ApplicationError, match=r"not loaded.*AppSpec") as info:
        await Application.start("no_such_app")
    assert info.value.reason == ("not_loaded", "no_such_app")


async def test_a_failing_start_callback_raises_with_the_reason_and_leaves_nothing_running(
) -> None:
    class Broken(Application):
        async def start(self, start_type: str, args: Any) -> Pid:
            raise RuntimeError("no database")

    name = fresh("broken")
    with pytest.raises(ApplicationError, match="failed to start") as info:
        await Application.start(AppSpec(name, mod=Broken))
    reason, where = info.value.reason
    assert isinstance(reason, RuntimeError)
    assert where == (Broken, "start", ("normal", None))
    assert name not in running()


@pytest.mark.parametrize("returned", ["ok", (1, 2, 3)])
async def test_a_start_callback_must_return_a_pid_or_a_pid_and_state(returned: Any) -> None:
    class NoPid(Application):
        async def start(self, start_type: str, args: Any) -> Any:
            return returned

    with pytest.raises(ApplicationError) as info:
        await Application.start(AppSpec(fresh("nopid"), mod=NoPid))
    assert info.value.reason[0] == ("bad_return", returned)


async def test_start_may_return_a_pid_and_a_state_for_prep_stop() -> None:
    events: list[Any] = []

    class WithState(RecordingShop):
        async def start(self, start_type: str, args: Any) -> tuple[Pid, Any]:
            return await super().start(start_type, args), {"conn": 1}

    name = fresh("stateful")
    await Application.start(AppSpec(name, mod=(WithState, (events, self(), name))))
    await Application.stop(name)
    assert ("prep_stop", {"conn": 1}) in events


async def test_a_library_application_starts_without_processes() -> None:
    name = fresh("lib")
    await Application.start(library(name, env={"level": "info"}))
    assert running() == [name]
    assert Application.get_env(name, "level") == "info"
    await Application.stop(name)
    assert running() == []


# --- dependencies -----------------------------------------------------------------------


async def test_start_fails_when_a_dependency_is_not_started() -> None:
    dep, app = fresh("dep"), fresh("app")
    Application.load(library(dep))
    with pytest.raises(ApplicationError, match="ensure_all_started") as info:
        await Application.start(library(app, dep))
    assert info.value.reason == ("not_started", dep)


async def test_ensure_all_started_starts_dependencies_first_in_order_and_returns_them() -> None:
    log, db, cache, web = (fresh(n) for n in ("log", "db", "cache", "web"))
    for spec in (library(log), library(db, log), library(cache, log), library(web, db, cache)):
        Application.load(spec)
    assert await Application.ensure_all_started(web) == [log, db, cache, web]
    assert running() == [web, cache, db, log]  # newest first
    assert await Application.ensure_all_started(web) == []


async def test_ensure_all_started_skips_what_already_runs() -> None:
    log, web = fresh("log"), fresh("web")
    await Application.start(library(log))
    assert await Application.ensure_all_started(library(web, log)) == [web]


async def test_ensure_all_started_stops_what_it_started_when_one_fails() -> None:
    class Broken(Application):
        async def start(self, start_type: str, args: Any) -> Pid:
            raise RuntimeError("boom")

    events: list[Any] = []
    base, bad, top = fresh("base"), fresh("bad"), fresh("top")
    Application.load(shop(base, events))
    Application.load(AppSpec(bad, mod=Broken, applications=(base,)))
    with pytest.raises(ApplicationError):
        await Application.ensure_all_started(library(top, bad))
    assert running() == []
    assert events[-1] == ("stop", "prepared")


async def test_circular_dependencies_are_reported() -> None:
    a, b = fresh("a"), fresh("b")
    Application.load(library(a, b))
    Application.load(library(b, a))
    with pytest.raises(ApplicationError, match="circle") as info:
        await Application.ensure_all_started(a)
    assert info.value.reason == ("circular_dependency", (a, b, a))


async def test_started_applications_lists_name_description_and_version() -> None:
    name = fresh("described")
    await Application.start(library(name, description="the shop", version="1.2.3"))
    assert Application.started_applications() == [AppInfo(name, "the shop", "1.2.3")]


# --- when the top supervisor dies ---------------------------------------------------------


async def top_of(app: str) -> Pid:
    message = await receive(lambda m: m[:2] == ("top", app), timeout=2)
    return message[2]


async def stopped(app: str) -> None:
    await receive(lambda m: m == ("stopped", app), timeout=2)


async def test_when_the_top_supervisor_dies_the_application_stops() -> None:
    events: list[Any] = []
    name = fresh("shop")
    await Application.start(shop(name, events))
    top = await top_of(name)
    workers = [Process.monitor(child.pid) for child in await Supervisor.which_children(top)]
    Process.exit(top, "kill")
    await stopped(name)
    assert name not in running()
    # The master and the workers (which trap exits) all get the top supervisor's exit signal
    # at once, as in OTP: the workers' terminate interleaves with prep_stop/stop in no set
    # order, so each sequence is checked on its own.
    for ref in workers:
        await receive(lambda m, ref=ref: type(m) is Down and m.ref is ref, timeout=2)
    callbacks = [e for e in events if e[0] in ("prep_stop", "stop")]
    assert callbacks == [("prep_stop", None), ("stop", "prepared")]
    terminations = sorted(e for e in events if e[0] == "terminate")
    assert terminations == [("terminate", "a", "killed"), ("terminate", "b", "killed")]


async def test_a_temporary_application_that_exits_leaves_the_others_running() -> None:
    other, name = fresh("other"), fresh("shop")
    await Application.start(library(other))
    await Application.start(shop(name, []), "temporary")
    Process.exit(await top_of(name), "kill")
    await stopped(name)
    assert running() == [other]


async def test_a_transient_application_that_exits_normally_leaves_the_others_running() -> None:
    other, name = fresh("other"), fresh("shop")
    await Application.start(library(other))
    await Application.start(shop(name, []), "transient")
    await Supervisor.stop(await top_of(name), "normal")
    await stopped(name)
    assert running() == [other]


@pytest.mark.parametrize("restart_type", ["permanent", "transient"])
async def test_an_application_that_must_not_exit_takes_every_application_down(
    restart_type: Any,
) -> None:
    events: list[Any] = []
    first, name = fresh("first"), fresh("critical")
    await Application.start(shop(first, events))
    await Application.start(shop(name, []), restart_type)
    Process.exit(await top_of(name), "kill")
    assert await Application.wait_for_shutdown() == ("application_terminated", name, "killed")
    await stopped(first)
    assert running() == []
    assert ("stop", "prepared") in events


# --- configuration ----------------------------------------------------------------------


async def test_default_env_is_loaded_and_values_put_before_loading_win() -> None:
    name = fresh("configured")
    Application.put_env(name, "port", 9000)
    Application.load(library(name, env={"port": 4000, "host": "localhost"}))
    assert Application.all_env(name) == {"port": 9000, "host": "localhost"}
    assert Application.fetch_env(name, "host") == "localhost"
    with pytest.raises(ConfigError, match="'missing'"):
        Application.fetch_env(name, "missing")


async def test_runtime_config_is_read_from_environment_variables_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = fresh("runtime")
    spec = library(name, env={"port": 4000, "debug": False},
                   runtime_config={"port": ("SHOP_TEST_PORT", int),
                                   "debug": EnvVar("SHOP_TEST_DEBUG", parse_bool)})
    Application.load(spec)
    assert Application.get_env(name, "port") == 4000  # loading does not read the variables
    monkeypatch.setenv("SHOP_TEST_PORT", "8443")
    await Application.start(name)
    assert Application.get_env(name, "port") == 8443
    assert Application.get_env(name, "debug") is False  # unset variable: the default stays


async def test_a_bad_runtime_config_value_stops_the_start_with_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = fresh("runtime")
    monkeypatch.setenv("SHOP_TEST_PORT", "eighty")
    with pytest.raises(ConfigError, match="SHOP_TEST_PORT='eighty'"):
        await Application.start(library(name, runtime_config={"port": ("SHOP_TEST_PORT", int)}))
    assert name not in running()


async def test_an_application_whose_stop_callback_raises_is_still_gone_after_its_tree_died(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class FailingStop(RecordingShop):
        async def stop(self, state: Any) -> None:
            send(self.test_pid, ("stopped", self.app_name))
            raise RuntimeError("cleanup failed")

    name = fresh("failing_stop")
    await Application.start(AppSpec(name, mod=(FailingStop, ([], self(), name))))
    Process.exit(await top_of(name), "kill")
    await stopped(name)
    assert name not in running()
