from otp.application import Application
from otp.config import EnvVar, parse_bool

RUNTIME = {
    "port": EnvVar("PORT", int, default=4000),
    "debug": EnvVar("DEBUG", parse_bool, default=False),
    "pool_size": EnvVar("POOL_SIZE", int, default=10),
    "database_url": EnvVar("DATABASE_URL", required=True),
}


# --- given ----------------------------------------------------------------------------------
def load(environ):
    """Read RUNTIME's variables from `environ` into the shop's environment; return the settings."""
    Application.config_from_env("shop", RUNTIME, environ)
    return {key: Application.get_env("shop", key) for key in RUNTIME}
