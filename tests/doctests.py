"""pytest plugin: the `Examples:` in nn's docstrings run as doctests, like every page's code.

A docstring example is written for a reader of the API reference, who has done
`import numpy as np` and `from nn import *` and works in a folder of their own; every doctest
gets those names and runs in an empty temporary folder, so an example may write `ckpt.npz`.
Loaded with `-p tests.doctests` (see addopts in pyproject.toml).
"""

import numpy as np
import pytest
from _pytest.doctest import DoctestItem

import nn
import nn.datasets


@pytest.fixture(autouse=True)
def _nn_doctest_setup(request, doctest_namespace, tmp_path, monkeypatch):
    if not isinstance(request.node, DoctestItem):
        return
    doctest_namespace["np"] = np
    for module in (nn, nn.datasets):
        doctest_namespace.update({name: getattr(module, name) for name in module.__all__})
    monkeypatch.chdir(tmp_path)
