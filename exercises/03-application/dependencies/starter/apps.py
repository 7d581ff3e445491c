import os

from otp import Supervisor
from otp.application import Application, AppSpec
from otp.config import EnvVar

journal = []


# --- given ----------------------------------------------------------------------------------
def make_callback(name):
    class Callback(Application):
        async def start(self, start_type, args):
            journal.append(f"{name} started")
            return await Supervisor.start_link([], name=f"{name}.sup")

        async def stop(self, state):
            journal.append(f"{name} stopped")

    Callback.__name__ = f"{name.capitalize()}App"
    return Callback


def set_port(value):
    os.environ["PORT"] = value


def unset_port():
    os.environ.pop("PORT", None)


def take_journal():
    lines = list(journal)
    journal.clear()
    return lines


def running():
    return sorted(app.name for app in Application.started_applications())


# --- your part ------------------------------------------------------------------------------
# TODO: dependencies, the metrics default env and web's runtime config.
METRICS = AppSpec("metrics")
STORE = AppSpec("store", mod=make_callback("store"))
WEB = AppSpec("web", mod=make_callback("web"))


async def start_all():
    # TODO: this starts them in the wrong order, and starts them again when already running.
    started = []
    for spec in (WEB, STORE, METRICS):
        await Application.start(spec)
        started.append(spec.name)
    return started


async def stop_all():
    # TODO
    return []
