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
METRICS = AppSpec("metrics", env={"interval": 10})
STORE = AppSpec("store", mod=make_callback("store"), applications=("metrics",))
WEB = AppSpec(
    "web",
    mod=make_callback("web"),
    applications=("store", "metrics"),
    runtime_config={"port": EnvVar("PORT", int, required=True)},
)
SPECS = (METRICS, STORE, WEB)


async def start_all():
    for spec in SPECS:
        Application.load(spec)  # known by name, so dependencies can be found
    return await Application.ensure_all_started("web")


async def stop_all():
    ours = {spec.name for spec in SPECS}
    stopped = []
    # started_applications lists the newest first: dependents before what they depend on.
    for app in Application.started_applications():
        if app.name in ours:
            await Application.stop(app.name)
            stopped.append(app.name)
    return stopped
