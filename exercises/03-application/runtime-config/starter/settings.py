from otp.application import Application
from otp.config import EnvVar, parse_bool

# TODO: one entry per setting (see the table); only `port` is here, and it stays text.
RUNTIME = {
    "port": "PORT",
}


# --- given ----------------------------------------------------------------------------------
def load(environ):
    """Read RUNTIME's variables from `environ` into the shop's environment; return the settings."""
    Application.config_from_env("shop", RUNTIME, environ)
    return {key: Application.get_env("shop", key) for key in RUNTIME}
