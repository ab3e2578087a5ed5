"""The timing the benchmarks share: interleaved runs, so that machine noise hits all alike."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def interleaved_medians(
    funcs: dict[str, Callable[[], object]], repeats: int, warmup: int
) -> dict[str, float]:
    """Each function's median time in ms, the functions run in turn `repeats` times."""
    for f in funcs.values():  # warm up caches and BLAS threads
        for _ in range(warmup):
            f()
    times: dict[str, list[float]] = {key: [] for key in funcs}
    for _ in range(repeats):
        for key, f in funcs.items():
            start = time.perf_counter()
            f()
            times[key].append(time.perf_counter() - start)
    return {key: 1e3 * float(np.median(v)) for key, v in times.items()}
