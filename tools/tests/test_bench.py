"""The benchmark scripts run, and their references do the same arithmetic as nn's step."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# No time is asserted (machines are shared and noisy). Each script checks before it times
# anything that its reference makes the same update as nn: the flat-NumPy floor's first step
# (bench_step), the book-style SimpleConvNet (bench_conv); bench_autograd, that the layers and
# autograd find the same gradients.
@pytest.mark.parametrize(
    ("script", "repeats", "ratios"),
    [
        ("bench_step", "2", {"step/matmuls": 2, "step/floor": 2}),
        ("bench_conv", "1", {"book/step": 1, "step/matmuls": 1}),
        ("bench_autograd", "2", {"autograd/layers": 1}),
    ],
)
def test_benchmark_runs_and_prints_its_ratios(script, repeats, ratios):
    out = subprocess.run(
        [sys.executable, "-m", f"benchmarks.{script}", "--repeats", repeats],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert {name: out.count(name) for name in ratios} == ratios, out
