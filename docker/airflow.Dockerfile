# syntax=docker/dockerfile:1.7
# The one image behind every Airflow service in docker-compose.yml: Airflow 3.3.2 on Python 3.11 with the
# project's locked dependencies. The project's code is not baked in for good: compose mounts the checkout at
# /opt/ar-warehouse, so DAG and package edits show up without a rebuild; only a change to uv.lock needs one.
#
# Build context: the repository root (docker compose build airflow-apiserver).

# Pinned so that `uv sync --frozen` reads uv.lock the same way here as on a developer's machine.
FROM ghcr.io/astral-sh/uv:0.13.9 AS uv

FROM apache/airflow:3.3.2-python3.11

# Why `uv sync --frozen` into its own virtualenv instead of `uv export | pip install` into the image:
# uv.lock pins apache-airflow itself and every one of its dependencies, and the image's site-packages were
# resolved against Airflow's own constraints file; installing the lock over them would mix two resolutions,
# and the tasks would run on versions nobody tested. A separate venv holds exactly what the tests ran on (same
# Airflow 3.3.2), and putting it first on PATH makes the image's entrypoint start *that* airflow. The base image
# still provides the OS, the Python 3.11 interpreter, the `airflow` user and the entrypoint script.
ENV UV_PROJECT_ENVIRONMENT=/opt/ar-warehouse-venv \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy

USER root
RUN mkdir -p /opt/ar-warehouse /opt/ar-warehouse-venv \
    && chown airflow:0 /opt/ar-warehouse /opt/ar-warehouse-venv
COPY --from=uv /uv /usr/local/bin/uv
USER airflow
WORKDIR /opt/ar-warehouse

# Dependencies first, in their own layer: it is rebuilt only when the lock changes, not when the code does.
COPY --chown=airflow:0 pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/home/airflow/.cache/uv,uid=50000,gid=0 \
    uv sync --frozen --no-dev --no-install-project

# The project itself, installed editable: the .pth points at /opt/ar-warehouse, which the compose bind mount
# then replaces with the live checkout. Installing it also provides the `arwh` command.
COPY --chown=airflow:0 ingestion/ ingestion/
COPY --chown=airflow:0 expectations/ expectations/
RUN --mount=type=cache,target=/home/airflow/.cache/uv,uid=50000,gid=0 \
    uv sync --frozen --no-dev

ENV VIRTUAL_ENV=/opt/ar-warehouse-venv \
    PATH="/opt/ar-warehouse-venv/bin:${PATH}"
