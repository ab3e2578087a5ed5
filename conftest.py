"""What every pytest run here shares: the doctests' namespace and no hypothesis deadlines.

The `Examples:` in nn's docstrings run as doctests, like every page's code. A docstring example
is written for a reader of the API reference, who has done `import numpy as np` and
`from nn import *` and works in a folder of their own; every doctest gets those names and runs
in an empty temporary folder, so an example may write `ckpt.npz`. This file needs only nn and
pytest: the `wheel` session copies it beside the doctests it runs against the installed wheel.

A hypothesis example that takes over 200 ms fails with DeadlineExceeded, and on a busy machine
a first example can: speed is for benchmarks, not tests (STYLE.md), so no deadlines.
"""

import numpy as np
import pytest
from _pytest.doctest import DoctestItem

import nn
import nn.datasets

try:
    from hypothesis import settings
except ImportError:  # the doctests against the wheel need no hypothesis
    pass
else:
    settings.register_profile("no-deadlines", deadline=None)
    settings.load_profile("no-deadlines")


@pytest.fixture(autouse=True)
def _nn_doctest_setup(request, doctest_namespace, tmp_path, monkeypatch):
    if not isinstance(request.node, DoctestItem):
        return
    doctest_namespace["np"] = np
    for module in (nn, nn.datasets):
        doctest_namespace.update({name: getattr(module, name) for name in module.__all__})
    monkeypatch.chdir(tmp_path)
