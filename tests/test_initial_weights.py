"""The scales of `init_weight` and the variance argument the initial-weights page makes."""

import numpy as np
import pytest

from nn import init_weight, relu


@pytest.mark.parametrize(("scale", "variance"), [("xavier", 1.0), ("he", 2.0), (0.01, 1e-4 * 100)])
def test_scales_are_the_books(scale, variance):
    w = init_weight(np.random.default_rng(0), 100, 400, scale, np.float64)
    assert w.std() * np.sqrt(100) == pytest.approx(np.sqrt(variance), rel=0.01)


def test_he_keeps_the_second_moment_through_relu_layers():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 200))
    moments = []
    for _ in range(6):
        x = relu(x @ init_weight(rng, 200, 200, "he", np.float64))
        moments.append(np.mean(x**2))
    assert max(moments) / min(moments) < 1.3, moments
