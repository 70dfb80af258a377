"""docker-compose.yml without Docker: valid against the Compose schema, the intended services, healthchecks, no
secret outside .env.example, and the environment the DAGs need.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingestion import config

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
# The Compose specification's JSON schema, kept beside the repository (../shared/schemas), not inside it.
COMPOSE_SCHEMA = Path(__file__).parents[2].parent / "shared" / "schemas" / "compose-spec.json"

AIRFLOW_SERVICES = {
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}
SERVICES = {"warehouse", "airflow-db", *AIRFLOW_SERVICES}
PROJECT_MOUNT = "/opt/ar-warehouse"

# ${VAR}, ${VAR:-default}, ${VAR?error} ...; `$${...}` is an escaped dollar that the container's shell expands.
_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)[^}]*\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whether the file writes it as a mapping or as a list."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """target -> source of a service's volumes, short or long syntax."""
    found = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            found[volume["target"]] = volume.get("source", "")
        else:
            source, target = volume.split(":")[:2]
            found[target] = source
    return found


def env_example_names() -> set[str]:
    names = set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, sep, _ = line.partition("=")
            assert sep, f".env.example: not NAME=value: {line!r}"
            names.add(name.strip())
    return names


def test_compose_file_is_valid_against_the_compose_schema(compose: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    if not COMPOSE_SCHEMA.is_file():
        pytest.skip(f"the Compose JSON schema is not at {COMPOSE_SCHEMA} (a sibling of the repository)")
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    # The schema says draft-07 in a spelling (no trailing "#") that jsonschema's lookup does not recognise.
    assert "draft-07" in schema.get("$schema", "")
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(compose), key=lambda e: list(e.absolute_path)
    )
    assert [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors] == []


def test_services_are_the_warehouse_airflow_db_and_airflow(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == SERVICES


def test_every_long_running_service_has_a_healthcheck(compose: dict[str, Any]) -> None:
    missing = [
        name
        for name, service in compose["services"].items()
        if name != "airflow-init" and not (service.get("healthcheck") or {}).get("test")
    ]
    assert missing == []


def test_airflow_services_start_after_what_they_need(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["airflow-init"]["depends_on"]["airflow-db"]["condition"] == "service_healthy"
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        depends_on = services[name]["depends_on"]
        assert depends_on["airflow-init"]["condition"] == "service_completed_successfully", name
        assert depends_on["airflow-db"]["condition"] == "service_healthy", name
        assert depends_on["warehouse"]["condition"] == "service_healthy", name
    for name in ("airflow-scheduler", "airflow-dag-processor", "airflow-triggerer"):
        assert services[name]["depends_on"]["airflow-apiserver"]["condition"] == "service_healthy", name


def strings(node: Any) -> list[str]:
    """Every string value in the loaded YAML (so comments, which compose does not interpolate, are left out)."""
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return [node] if isinstance(node, str) else []


def test_every_variable_the_compose_file_uses_is_defined_in_env_example(compose: dict[str, Any]) -> None:
    used = {name for value in strings(compose) for name in _VARIABLE.findall(value)}
    assert used, "the compose file should take its secrets from ${VARIABLES}"
    assert sorted(used - env_example_names()) == []


def test_no_secret_is_written_into_the_compose_file(compose: dict[str, Any]) -> None:
    secret_like = re.compile(r"(PASSWORD|SECRET|SECRET_KEY|FERNET_KEY|TOKEN)$")
    for name, service in compose["services"].items():
        for key, value in environment(service).items():
            if secret_like.search(key):
                assert _VARIABLE.fullmatch(value), f"{name}: {key} must be a ${{VARIABLE}}, not a value"
    for url_key in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", config.ENV_WAREHOUSE_URL):
        value = environment(compose["services"]["airflow-scheduler"])[url_key]
        credentials = value.split("://", 1)[1].split("@", 1)[0]
        assert all(_VARIABLE.fullmatch(part) for part in credentials.split(":")), url_key


def test_airflow_services_get_the_environment_the_dags_need(compose: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        env = environment(compose["services"][name])
        assert sorted(set(config.STACK_ENV_VARS) - set(env)) == [], name
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor", name
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false", name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/", (
            name
        )
        assert "@airflow-db:" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        assert "@warehouse:" in env[config.ENV_WAREHOUSE_URL], name
        # The scheduler signs the tasks' JWTs and the api-server checks them: one secret for both.
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] == "${AIRFLOW_JWT_SECRET}", name
        telemetry_off = {
            "DO_NOT_TRACK": "1",
            "SCARF_ANALYTICS": "false",
            "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "false",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "GX_ANALYTICS_ENABLED": "false",
        }
        assert {k: env.get(k, "").lower() for k in telemetry_off} == telemetry_off, name


def test_dags_folder_is_the_dags_folder_of_the_mounted_checkout(compose: dict[str, Any]) -> None:
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        assert mounts(service).get(PROJECT_MOUNT) in (".", "./"), (
            f"{name}: the checkout is not at {PROJECT_MOUNT}"
        )
        assert environment(service)["AIRFLOW__CORE__DAGS_FOLDER"] == f"{PROJECT_MOUNT}/dags", name
    assert (REPO / "dags").is_dir()


def test_airflow_services_share_one_image_built_from_the_project_dockerfile(compose: dict[str, Any]) -> None:
    images = {compose["services"][name]["image"] for name in AIRFLOW_SERVICES}
    assert len(images) == 1
    builds = {json.dumps(compose["services"][name]["build"], sort_keys=True) for name in AIRFLOW_SERVICES}
    assert [json.loads(b) for b in builds] == [{"context": ".", "dockerfile": "docker/airflow.Dockerfile"}]
    dockerfile = (REPO / "docker" / "airflow.Dockerfile").read_text()
    assert re.search(r"^FROM apache/airflow:3\.3\.2-python3\.11\s*$", dockerfile, re.MULTILINE)
    assert "uv sync --frozen --no-dev" in dockerfile
    assert compose["services"]["airflow-apiserver"]["command"] == "api-server"
    assert "8080:8080" in compose["services"]["airflow-apiserver"]["ports"]
