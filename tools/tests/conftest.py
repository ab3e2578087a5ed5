"""What the site's tests share: the built site's record of its notebooks' runs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def notebook_runs() -> dict[str, dict]:
    """What `nox -s notebooks` (tools/notebook_runner.py) recorded of every served notebook."""
    path = Path(os.environ.get("NN_NOTEBOOK_RUNS", "build/notebook-runs.json"))
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `nox -s notebooks` (or `nox -s site`)")
    return json.loads(path.read_text(encoding="utf-8"))
