"""docker-compose.yml and the Dockerfile name only what exists in this project.

Docker does not run here, so these tests check what can be checked without it: the compose
file parses, has the deployed shape (postgres with healthcheck and volume, a one-shot migrate,
scalable web and worker, kernels), and every command it runs is a real command of the image.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
ACADEMY = str(Path(sys.executable).with_name("academy"))
JUPYTER = str(Path(sys.executable).with_name("jupyter"))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def _argv(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


def _commands(service: dict) -> list[list[str]]:
    argv = _argv(service)
    if argv[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in argv[2].split("&&")]
    return [argv]


def test_the_compose_file_has_the_deployed_shape(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "migrate", "web", "worker", "kernels"}
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    migrate = services["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert "container_name" not in services[name]  # a fixed name would forbid --scale
    assert "SYS_ADMIN" in services["worker"]["cap_add"]
    assert services["web"]["environment"]["KERNELS_URL"] == "http://kernels:8888"


def test_only_postgres_comes_from_outside_the_rest_is_built_from_the_dockerfile(
    compose: dict,
) -> None:
    stages = _dockerfile_stages()
    for name, service in compose["services"].items():
        if name == "postgres":
            continue
        build = service["build"]
        assert build["context"] == "."
        assert build["target"] in stages
        expected = "otp-academy-kernels:latest" if name == "kernels" else "otp-academy:latest"
        assert service["image"] == expected


def test_the_kernels_image_holds_no_solutions_or_hidden_tests(compose: dict) -> None:
    """Kernels run the learner's code unsandboxed: their image gets only the learners' copy."""
    assert compose["services"]["kernels"]["build"]["target"] == "kernels"
    kernels = _dockerfile_stages()["kernels"]
    copies = [line for line in kernels if line.startswith("COPY")]
    assert copies == ["COPY --from=course-build /app/public /app/public"]
    assert "ENV ACADEMY_EXERCISES=/app/public/exercises" in kernels
    assert "academy course build /app/public" in " ".join(_dockerfile_stages()["course-build"])


def _dockerfile_stages() -> dict[str, list[str]]:
    stages: dict[str, list[str]] = {}
    current: list[str] = []
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("FROM "):
            current = stages.setdefault(line.split()[-1], [])
        elif line.strip() and not line.startswith("#"):
            current.append(line.strip())
    return stages


def test_every_dockerfile_copy_source_exists() -> None:
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            *sources, _ = line.split()[1:]
            for source in sources:
                assert (REPO / source).exists(), f"Dockerfile copies missing {source}"


def _academy_commands(compose: dict) -> list[list[str]]:
    found = []
    for service in compose["services"].values():
        if "command" in service:
            found += [argv for argv in _commands(service) if argv[0] == "academy"]
    docker_runs = re.findall(r"academy [a-z -]+", (REPO / "Dockerfile").read_text())
    found += [cmd.split() for cmd in docker_runs]
    return found


def test_every_academy_command_and_option_named_exists(compose: dict) -> None:
    commands = _academy_commands(compose)
    assert len(commands) >= 5
    for argv in commands:
        words = [w for w in argv[1:] if not w.startswith("-") and not w.startswith("/")]
        options = [w.split("=")[0] for w in argv[1:] if w.startswith("--")]
        subcommand = [w for w in words if w.isidentifier() or "-" in w][:2]
        if subcommand and subcommand[0] in ("serve", "worker"):
            subcommand = subcommand[:1]
        done = subprocess.run(
            [ACADEMY, *subcommand, "--help"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"academy {' '.join(subcommand)}: {done.stderr}"
        for option in options:
            assert option in done.stdout, f"academy {' '.join(subcommand)} has no {option}"


def test_the_kernels_service_runs_jupyter_server_with_options_it_knows(compose: dict) -> None:
    from jupyter_server.auth.identity import IdentityProvider
    from jupyter_server.serverapp import ServerApp

    argv = _argv(compose["services"]["kernels"])
    assert argv[:2] == ["jupyter", "server"]
    help_all = subprocess.run(
        [JUPYTER, "server", "--help-all"], capture_output=True, text=True, timeout=60
    ).stdout
    configurable = {cls.__name__: cls for cls in [*ServerApp().classes, IdentityProvider]}
    for option in argv[2:]:
        name = option.split("=")[0]
        klass, _, trait = name.removeprefix("--").partition(".")
        if trait:  # --Class.trait=value: the class must have that trait
            assert trait in configurable[klass].class_trait_names(), f"no {name}"
        else:
            assert name in help_all, f"jupyter server has no {name}"
