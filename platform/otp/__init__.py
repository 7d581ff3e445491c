"""otp — Erlang/OTP's process model and behaviours, ported to asyncio.

Layering (inner to outer; an inner module never imports an outer one):

1. ``_node``/``_process``: processes as asyncio tasks with mailboxes, links, monitors,
   exit signals, name registration. Self-contained.
2. ``gen_server``, ``agent``: behaviours built on processes.
3. ``supervisor``, ``dynamic_supervisor``, ``task``, ``task_supervisor``: supervision.
4. ``registry``, ``pubsub``, ``application`` (with ``config``), ``telemetry``, ``blocking``:
   services on top.

Elixir's documented behaviour is the specification; ``docs/runtime.md`` maps every construct.
"""
# Sections are owned by the modules that fill them; keep __all__ explicit and sorted per section.

# --- layer 1: processes and errors (_process, _exceptions: every layer's errors) ---
from otp._exceptions import (
    AlreadyRegisteredError,
    AlreadyStartedError,
    ApplicationError,
    CallingSelfError,
    CallTimeoutError,
    ConfigError,
    ExitError,
    HandlerExistsError,
    HandlerNotFoundError,
    InvalidChildSpecError,
    MaxChildrenError,
    MissingTagError,
    NoProcError,
    NotTaskOwnerError,
    OTPError,
    RegistryError,
    StartError,
    SupervisorError,
    TelemetryError,
    UnknownPubSubError,
    UnknownRegistryError,
)
from otp._process import (
    Down,
    Exit,
    Pid,
    Process,
    Ref,
    TimerRef,
    Via,
    exit,
    receive,
    self,
    send,
    spawn,
    spawn_link,
    spawn_monitor,
    via,
)

# --- end layer 1 ---

# --- layer 2: behaviours (gen_server, agent, _returns) ---
# isort: split
from otp._returns import Continue, Ignore, NoReply, Ok, Reply, Stop
from otp.agent import Agent
from otp.gen_server import From, GenServer

# --- end layer 2 ---

# --- layer 3: supervision (supervisor, dynamic_supervisor, task, task_supervisor) ---
# isort: split
from otp.child_spec import ChildSpec, child_spec
from otp.dynamic_supervisor import DynamicSupervisor, DynamicSupervisorSpec
from otp.supervisor import ChildCounts, ChildInfo, Supervisor, SupervisorSpec
from otp.task import Task, TaskResult
from otp.task_supervisor import TaskSupervisor

# --- end layer 3 ---

# --- layer 4: services (registry, pubsub, application, config, telemetry, blocking) ---
# isort: split
from otp import telemetry
from otp.application import AppInfo, Application, AppSpec
from otp.blocking import install_watchdog_from_env as _install_watchdog_from_env
from otp.blocking import run_blocking, watch_loop
from otp.config import EnvVar, parse_bool
from otp.pubsub import LocalAdapter, PubSub, PubSubAdapter
from otp.registry import Registry

# --- end layer 4 ---

__all__: list[str] = [
    # layer 1: processes and errors
    "AlreadyRegisteredError",
    "AlreadyStartedError",
    "ApplicationError",
    "CallTimeoutError",
    "CallingSelfError",
    "ConfigError",
    "Down",
    "Exit",
    "ExitError",
    "HandlerExistsError",
    "HandlerNotFoundError",
    "InvalidChildSpecError",
    "MaxChildrenError",
    "MissingTagError",
    "NoProcError",
    "NotTaskOwnerError",
    "OTPError",
    "Pid",
    "Process",
    "Ref",
    "RegistryError",
    "StartError",
    "SupervisorError",
    "TelemetryError",
    "TimerRef",
    "UnknownPubSubError",
    "UnknownRegistryError",
    "Via",
    "exit",
    "receive",
    "self",
    "send",
    "spawn",
    "spawn_link",
    "spawn_monitor",
    "via",
    # end layer 1
]

# layer 2: behaviours
__all__ += [
    "Agent",
    "Continue",
    "From",
    "GenServer",
    "Ignore",
    "NoReply",
    "Ok",
    "Reply",
    "Stop",
]
# end layer 2

# layer 3: supervision
__all__ += [
    "ChildCounts",
    "ChildInfo",
    "ChildSpec",
    "DynamicSupervisor",
    "DynamicSupervisorSpec",
    "Supervisor",
    "SupervisorSpec",
    "Task",
    "TaskResult",
    "TaskSupervisor",
    "child_spec",
]
# end layer 3

# layer 4: services
__all__ += [
    "AppInfo",
    "AppSpec",
    "Application",
    "EnvVar",
    "LocalAdapter",
    "PubSub",
    "PubSubAdapter",
    "Registry",
    "parse_bool",
    "run_blocking",
    "telemetry",
    "watch_loop",
]
_install_watchdog_from_env()  # honours OTP_LOOP_WATCHDOG (see otp.blocking)
# end layer 4
