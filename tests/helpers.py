"""Shared test helpers: a float64 central-difference check for any layer."""

import numpy as np

from nn import numerical_gradient, rel_error


def check_layer(layer, x, rng, tol=1e-7):
    """Assert `layer.backward` matches central differences of `sum(forward(x) * g)`.

    Returns the relative errors, for the input and for each parameter.
    """
    g = rng.standard_normal(layer.forward(x).shape)

    def loss(_):
        return float(np.sum(layer.forward(x) * g))

    layer.forward(x)
    dx = layer.backward(g)
    errors = {"x": rel_error(dx, numerical_gradient(loss, x))}
    analytic = {k: v.copy() for k, v in layer.grads.items()}
    for name, param in layer.params.items():
        errors[name] = rel_error(analytic[name], numerical_gradient(loss, param))
    for name, err in errors.items():
        assert err <= tol, f"{type(layer).__name__}: d{name} relative error {err:.2e} > {tol}"
    return errors
