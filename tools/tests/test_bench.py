"""The benchmark scripts run, and their references do the same arithmetic as nn's step."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_step_runs_and_prints_its_ratios():
    # No time is asserted (machines are shared and noisy); the script itself checks that the
    # floor's first update equals nn's before it times anything.
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_step", "--repeats", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.count("step/matmuls") == 2 and out.count("step/floor") == 2, out


def test_bench_conv_runs_and_prints_its_ratios():
    # No time is asserted; the script checks that the book-style reference makes the same
    # update as nn's SimpleConvNet before it times anything.
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_conv", "--repeats", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "book/step" in out and "step/matmuls" in out, out
