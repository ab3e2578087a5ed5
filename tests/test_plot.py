import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="nn.plot needs the train extra: pip install matplotlib")

from nn.plot import plot_decision_boundary, plot_fit, plot_history


def test_history_puts_losses_left_and_metrics_right(tmp_path):
    path = tmp_path / "h.png"
    fig = plot_history(
        {"train_loss": [1.0, 0.5], "train_acc": [0.5, 0.9], "test_acc": [0.4, 0.8]}, path
    )
    left, right = fig.axes
    assert [line.get_label() for line in left.lines] == ["train_loss"]
    assert [line.get_label() for line in right.lines] == ["train_acc", "test_acc"]
    np.testing.assert_array_equal(right.lines[1].get_ydata(), [0.4, 0.8])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="history is empty"):
        plot_history({})


def test_decision_boundary_colours_the_plane_by_the_prediction(tmp_path):
    x = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    fig = plot_decision_boundary(
        lambda p: (p[:, 0] > 0.5).astype(int), x, [0, 1, 0], tmp_path / "b.png"
    )
    assert (tmp_path / "b.png").stat().st_size > 0
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_decision_boundary(lambda p: p, np.zeros((3, 3)), [0, 1, 0])


def test_fit_draws_the_prediction_sorted_by_x():
    fig = plot_fit([2.0, 0.0, 1.0], [4.0, 0.0, 1.0], [4.0, 0.0, 1.0])
    line = fig.axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="got 3, 2, 3"):
        plot_fit([0, 1, 2], [0, 1], [0, 1, 2])


def test_without_matplotlib_the_error_says_what_to_install():
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"  # import matplotlib now fails
        "try:\n    import nn.plot\nexcept ImportError as e:\n    print(e)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "nn.plot needs matplotlib: pip install matplotlib"


def test_a_failed_save_leaves_the_old_figure_and_no_temporary(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    path = tmp_path / "h.png"
    plot_history({"train_loss": [1.0, 0.5]}, path)
    before = path.read_bytes()

    def failing_savefig(self, fname, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half a figure")
        raise OSError("No space left on device")

    monkeypatch.setattr(Figure, "savefig", failing_savefig)
    with pytest.raises(OSError, match="No space left"):
        plot_history({"train_loss": [2.0, 1.0]}, path)
    assert path.read_bytes() == before  # before: the half-written figure replaced it
    assert [p.name for p in tmp_path.iterdir()] == ["h.png"]


def test_a_path_without_suffix_is_saved_as_png_as_matplotlib_does(tmp_path):
    plot_fit([0.0, 1.0], [0.0, 1.0], [0.0, 1.0], tmp_path / "fit")
    assert [p.name for p in tmp_path.iterdir()] == ["fit.png"]


def test_decision_boundary_refuses_what_it_cannot_draw():
    x = np.array([[0.0, 0.0], [1.0, np.nan]])
    with pytest.raises(ValueError, match=r"x must be finite, but x\[1\] is not"):
        plot_decision_boundary(lambda p: np.zeros(len(p)), x, [0, 1])
    x = np.array([[0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match=r"one label per point: 400 points gave shape \(400, 2\)"):
        plot_decision_boundary(lambda p: p, x, [0, 1], resolution=20)
    with pytest.raises(ValueError, match="resolution must be an integer >= 2, got 1"):
        plot_decision_boundary(lambda p: np.zeros(len(p)), x, [0, 1], resolution=1)
    with pytest.raises(TypeError, match="history must map names to values per epoch, got list"):
        plot_history([1.0, 0.5])
