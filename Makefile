# Thin verbs only; each bootstraps what it needs. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS := .local/tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
RUN := $(UV) run --no-sync
DEMO_START ?= 2026-09-01
DEMO_DAYS ?= 30
DEMO_SCALE ?= 0.01
DEMO_SEED ?= 42

export DO_NOT_TRACK := 1
export SCARF_ANALYTICS := false
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False

.PHONY: help setup browser demo test lint bench up down clean

help:
	@echo "make demo   install, start a local warehouse, generate $(DEMO_DAYS) days of sample data, run the DAG for each day"
	@echo "make test   install, start a local warehouse, run the whole test suite"
	@echo "make lint   ruff and mypy"
	@echo "make bench  the benchmark (bank statements vs the COPY floor; daily vs first dbt build; ar_daily's dbt part vs a plain dbt build; ~35 minutes)"
	@echo "make up     the docker-compose stack (needs Docker); make down stops it"

$(UV):
	@echo "uv not found: installing it into $(TOOLS)"
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv

setup: $(UV)
	$(UV) sync --frozen
	$(RUN) arwh db up >/dev/null
	$(RUN) arwh init
	$(RUN) python -c "from ingestion.transform import parse; parse()" >/dev/null

demo: setup
	$(RUN) arwh generate --seed $(DEMO_SEED) --scale $(DEMO_SCALE) --start $(DEMO_START) --days $(DEMO_DAYS)
	$(RUN) arwh run --date $(DEMO_START) --through $$(date -d "$(DEMO_START) + $$(( $(DEMO_DAYS) - 1 )) days" +%F)

# Debian's Chromium, for the test that opens the auditor's report in a headless browser (not a Python package).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "chromium not found: installing Debian's chromium package (the report test opens the page in it)"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
		|| { echo "could not install chromium: run 'apt-get install chromium' as root" >&2; exit 1; }; }

test: setup browser
	$(RUN) pytest

# The whole benchmark of issue 7 (bench/README.md), about an hour on 2 CPUs: the ERP load at scales 0.01, 0.1
# and 1; the bank formats up to 1,000,000 transactions; the first and the daily dbt build at scales 0.1 and 1 (60
# and 730 days of history); one ar_daily day at scale 1 on two years of history.
bench: setup
	$(RUN) python -m bench.erp_load --scales 0.01,0.1,1
	$(RUN) python -m bench.bank --transactions 1000000
	$(RUN) python -m bench.dbt_daily --scales 0.1,1
	$(RUN) python -m bench.dag_daily --scale 1 --history-days 730 --days 4

lint: $(UV)
	$(UV) sync --frozen
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

up:
	docker compose up -d --build

down:
	docker compose down

clean:
	-$(RUN) arwh db down
	rm -rf .local/airflow .local/landing .local/reports dbt_project/target
