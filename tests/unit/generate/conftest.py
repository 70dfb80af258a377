"""One small generated data set shared by the generator's tests (files only, no database)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ingestion.generate import GenerationSummary, generate

from .readers import Erp, Statement, read_bank_files, read_erp_files

# 45 days from Monday 15 January 2024: two statement dates (31 January, month end, and 28 February, the last
# day), 33 business days of bank files, and every anomaly inside the period.
SAMPLE: dict[str, Any] = {"seed": 11, "scale": 0.01, "start": date(2024, 1, 15), "days": 45}


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> GenerationSummary:
    landing = tmp_path_factory.mktemp("generated") / "landing"
    return generate(**SAMPLE, landing=landing, erp_mode="files")


@pytest.fixture(scope="session")
def landing(sample: GenerationSummary) -> Path:
    return sample.landing


@pytest.fixture(scope="session")
def manifest(landing: Path) -> dict[str, Any]:
    return json.loads((landing / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def erp(landing: Path) -> Erp:
    return read_erp_files(landing)


@pytest.fixture(scope="session")
def bank_statements(landing: Path) -> list[Statement]:
    return read_bank_files(landing)


def anomalies_of(manifest: dict[str, Any], anomaly_type: str) -> list[dict[str, Any]]:
    return [entry for entry in manifest["anomalies"] if entry["type"] == anomaly_type]
