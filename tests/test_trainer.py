"""Tests for nn.trainer: history, one forward pass per step, divergence, progress, continuing."""

import ast
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nn import trainer as trainer_module
from nn.data import ArrayDataset, DataLoader
from nn.datasets import make_moons, make_sine, train_test_split
from nn.networks import MultiLayerNet
from nn.optim import SGD, Adam, Momentum
from nn.spec import build_network
from nn.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
MOONS = [
    {"input_dim": 2, "output_dim": 25, "activation": "relu"},
    {"input_dim": 25, "output_dim": 1, "activation": "sigmoid"},
]
SINE = [
    {"input_dim": 1, "output_dim": 32, "activation": "relu"},
    {"input_dim": 32, "output_dim": 1, "activation": None},
]


@pytest.fixture
def moons():
    x, t = make_moons(300, noise=0.2, rng=0)
    return train_test_split(x, t, 0.2, rng=1)


def moons_trainer(moons, lr=0.01, **kwargs):
    (x, t), test = moons
    loader = DataLoader(ArrayDataset(x, t), batch_size=32, shuffle=True, rng=3)
    kwargs.setdefault("test_data", test)
    kwargs.setdefault("progress", False)
    return Trainer(build_network(MOONS, rng=2), Adam(lr=lr), loader, **kwargs)


def test_history_has_one_value_per_epoch_under_each_key(moons):
    history = moons_trainer(moons).fit(3)
    assert list(history) == ["train_loss", "train_accuracy", "test_loss", "test_accuracy"]
    assert all(len(v) == 3 for v in history.values())
    assert all(isinstance(v, float) for values in history.values() for v in values)
    assert list(moons_trainer(moons, test_data=None).fit(1)) == ["train_loss", "train_accuracy"]
    assert list(moons_trainer(moons, metric=None).fit(1)) == ["train_loss", "test_loss"]


def test_training_learns_the_moons(moons):
    history = moons_trainer(moons, lr=0.02).fit(40)
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["test_accuracy"][-1] >= 0.9


def test_each_batch_is_one_step_and_train_loss_is_the_mean_of_its_losses(moons):
    """The trainer must do exactly what this hand-written loop does, bit for bit."""
    trainer = moons_trainer(moons)
    history = trainer.fit(2)
    (x, t), _ = moons
    net, opt = build_network(MOONS, rng=2), Adam(lr=0.01)
    loader = DataLoader(ArrayDataset(x, t), batch_size=32, shuffle=True, rng=3)
    for epoch in range(2):
        losses = []
        for x_batch, t_batch in loader:
            losses.append(net.loss(x_batch, t_batch))  # the loss before the step
            opt.update(net.params, net.gradient(x_batch, t_batch))
        assert history["train_loss"][epoch] == sum(losses) / len(losses)
    for name in net.params:
        np.testing.assert_array_equal(trainer.net.params[name], net.params[name])


def test_the_training_loss_needs_no_second_forward_pass(moons):
    trainer = moons_trainer(moons, metric=None, test_data=None)
    calls = []
    forward = trainer.net.last_layer.forward
    trainer.net.last_layer.forward = lambda y, t: calls.append(forward(y, t)) or calls[-1]
    history = trainer.fit(2)
    assert len(calls) == 2 * len(trainer.train_loader)  # one per step, none more
    per_epoch = len(trainer.train_loader)
    assert history["train_loss"][1] == sum(calls[per_epoch:]) / per_epoch


def test_epoch_metrics_are_those_of_the_whole_sets_after_the_epoch(moons, monkeypatch):
    # Small evaluation chunks: the chunked means must still be the means over whole sets.
    monkeypatch.setattr(trainer_module, "EVAL_BATCH_SIZE", 7)
    trainer = moons_trainer(moons)
    history = trainer.fit(1)
    (x, t), (x_test, t_test) = moons
    assert history["train_accuracy"][0] == pytest.approx(trainer.net.accuracy(x, t), abs=1e-12)
    assert history["test_accuracy"][0] == pytest.approx(
        trainer.net.accuracy(x_test, t_test), abs=1e-12
    )
    assert history["test_loss"][0] == pytest.approx(trainer.net.loss(x_test, t_test), rel=1e-12)


def test_regression_with_rmse(monkeypatch):
    monkeypatch.setattr(trainer_module, "EVAL_BATCH_SIZE", 33)
    (x, t), (x_test, t_test) = train_test_split(*make_sine(noise=1.0, rng=0), 0.2, rng=1)
    net = build_network(SINE, rng=0)
    loader = DataLoader(ArrayDataset(x, t), batch_size=16, shuffle=True, rng=0)
    trainer = Trainer(net, Adam(lr=0.01), loader, test_data=(x_test, t_test), metric="rmse")
    history = trainer.fit(3)
    assert list(history) == ["train_loss", "train_rmse", "test_loss", "test_rmse"]
    expected = math.sqrt(np.mean((net.predict(x_test) - t_test) ** 2))
    assert history["test_rmse"][-1] == pytest.approx(expected, rel=1e-12)
    assert history["test_loss"][-1] == pytest.approx(expected**2, rel=1e-12)  # MSE loss


def test_a_callable_metric_is_recorded_under_its_name(moons):
    def error_rate(net, x, t):
        return 1.0 - net.accuracy(x, t)

    history = moons_trainer(moons, metric=error_rate).fit(2)
    assert list(history) == ["train_loss", "train_error_rate", "test_loss", "test_error_rate"]
    assert history["test_error_rate"][-1] <= 0.5


def test_fit_continues_where_it_stopped(moons):
    trainer = moons_trainer(moons)
    first = trainer.fit(2)
    assert trainer.epoch == 2
    second = trainer.fit(3)
    assert second is first and trainer.epoch == 5
    assert all(len(v) == 5 for v in second.values())
    straight = moons_trainer(moons).fit(5)
    assert second == straight
    assert trainer.fit(0) is first and trainer.epoch == 5


def test_a_history_to_continue_must_match_the_keys(moons):
    with pytest.raises(ValueError, match="history to continue must have the keys"):
        moons_trainer(moons, history={"train_loss": [1.0]})
    with pytest.raises(ValueError, match="one value per epoch"):
        moons_trainer(moons, metric=None, test_data=None, history={"train_loss": [1.0], "x": []})
    trainer = moons_trainer(moons, metric=None, test_data=None, history={"train_loss": [9.0]})
    assert trainer.epoch == 1
    assert trainer.fit(1)["train_loss"][0] == 9.0


def test_a_huge_learning_rate_stops_with_the_epoch_and_step(moons):
    trainer = moons_trainer(moons)
    trainer.optimizer = SGD(lr=1e300)
    with pytest.raises(FloatingPointError, match=r"diverged in epoch 1, step \d+: .*smaller lr"):
        trainer.fit(3)


def test_the_epoch_in_the_message_counts_earlier_fits(moons):
    trainer = moons_trainer(moons)
    trainer.fit(2)
    trainer.optimizer.lr = 1e300
    with pytest.raises(FloatingPointError, match=r"epoch 3, step"):
        trainer.fit(1)
    assert trainer.epoch == 2  # the broken epoch is not recorded


class Last:
    loss = None


class StubNet:
    """The least a trainer needs: no layers, no network class; the loss is NaN at step `bad`."""

    def __init__(self, bad=None, error=None):
        self.params = {"W": np.zeros(1)}
        self.steps, self.bad, self.error = 0, bad, error

    def gradient(self, x, t):
        self.steps += 1
        if self.steps == self.bad and self.error:
            raise self.error
        self.last_loss = math.nan if self.steps == self.bad else float(np.mean(x))
        return {"W": np.ones(1)}

    def loss(self, x, t):
        return 0.0


def stub_trainer(net, n=10, metric=None, **kwargs):
    loader = DataLoader(ArrayDataset(np.arange(n, dtype=float), np.zeros(n)), batch_size=2)
    return Trainer(net, SGD(lr=0.5), loader, metric=metric, progress=False, **kwargs)


def test_a_nan_loss_stops_before_the_update_and_names_epoch_and_step():
    trainer = stub_trainer(StubNet(bad=8))  # 5 steps per epoch: step 8 is epoch 2, step 3
    with pytest.raises(FloatingPointError, match="epoch 2, step 3: the loss is nan"):
        trainer.fit(3)
    # The broken epoch is undone as a whole: five updates of epoch 1 remain, not seven.
    assert trainer.net.params["W"][0] == -0.5 * 5
    assert trainer.optimizer.t == 5
    assert trainer.history["train_loss"] == [4.5]  # mean of the batch means 0.5, 2.5, ..., 8.5


def test_other_errors_keep_their_type_and_say_where():
    trainer = stub_trainer(StubNet(bad=2, error=ValueError("t has the wrong shape")))
    with pytest.raises(ValueError) as info:
        trainer.fit(1)
    assert str(info.value) == "t has the wrong shape"  # the error itself, with a note on where
    assert info.value.__notes__ == ["(in Trainer.fit, epoch 1, step 2)"]


def test_divergence_while_evaluating_names_the_epoch():
    def overflows(net, x, t):
        return float(np.exp(np.float64(1000.0)))  # a RuntimeWarning and inf, unless it raises

    trainer = stub_trainer(StubNet(), metric=overflows)
    with pytest.raises(FloatingPointError, match="diverged in epoch 1, evaluating after its last"):
        trainer.fit(2)
    assert trainer.epoch == 0  # the broken epoch is not recorded


def test_other_errors_while_evaluating_say_where():
    calls = []

    def broken(net, x, t):
        calls.append(1)
        if len(calls) > 1:
            raise KeyError("no such column")
        return 0.0

    trainer = stub_trainer(StubNet(), metric=broken)
    trainer.fit(1)
    with pytest.raises(KeyError) as info:
        trainer.fit(1)
    assert info.value.__notes__ == ["(in Trainer.fit, epoch 2, evaluating after its last step)"]


def test_bad_arguments(moons):
    trainer = moons_trainer(moons)
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
            trainer.fit(bad)
    with pytest.raises(ValueError, match="metric must be 'accuracy', 'rmse', None or a callable"):
        moons_trainer(moons, metric="f1")
    with pytest.raises(ValueError, match="test_data is empty"):
        moons_trainer(moons, test_data=(np.zeros((0, 2)), np.zeros(0)))
    net = build_network(SINE, rng=0)
    loader = DataLoader(ArrayDataset(*make_sine()), batch_size=8)
    with pytest.raises(ValueError, match=r"needs a classifier.*MSELoss.*rmse"):
        Trainer(net, SGD(), loader)  # the default metric, accuracy, on a regression network
    few = DataLoader(ArrayDataset(np.zeros((3, 1)), np.zeros((3, 1))), 4, drop_last=True)
    with pytest.raises(ValueError, match="gives no batches"):
        Trainer(net, SGD(), few, metric=None).fit(1)


def test_test_data_may_be_a_dataset(moons):
    _, (x_test, t_test) = moons
    a = moons_trainer(moons, test_data=ArrayDataset(x_test, t_test)).fit(1)
    assert a == moons_trainer(moons).fit(1)


# --- progress and output


def test_no_output_without_a_terminal_or_with_progress_false(moons, capsys):
    moons_trainer(moons, progress=None).fit(1)  # pytest's stderr is not a terminal
    moons_trainer(moons, progress=False).fit(1)
    assert capsys.readouterr() == ("", "")


def test_progress_false_is_silent_even_on_a_terminal(moons, capsys, monkeypatch):
    pytest.importorskip("tqdm", reason="the bar needs the train extra: pip install tqdm")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    moons_trainer(moons, progress=False).fit(1)
    assert capsys.readouterr() == ("", "")
    moons_trainer(moons, progress=None).fit(2)
    out, err = capsys.readouterr()
    assert out == "" and "step" in err and "100%" in err


def test_progress_true_draws_a_bar_on_stderr_only(moons, capsys):
    pytest.importorskip("tqdm", reason="the bar needs the train extra: pip install tqdm")
    moons_trainer(moons, progress=True).fit(2)
    out, err = capsys.readouterr()
    assert out == ""
    assert "16/16" in err  # 2 epochs x 8 batches of 32 from 240 samples


def test_tqdm_is_optional(moons, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert len(moons_trainer(moons, progress=None).fit(1)["train_loss"]) == 1
    with pytest.raises(ImportError, match="pip install tqdm"):
        moons_trainer(moons, progress=True).fit(1)
    assert capsys.readouterr() == ("", "")


def test_importing_the_training_stack_imports_neither_tqdm_nor_matplotlib():
    code = (
        "import sys, nn.data, nn.trainer, nn.checkpoint, nn.spec, nn.datasets\n"
        "print(sorted(m for m in ('tqdm', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("module", ["data", "optim", "trainer", "checkpoint"])
def test_training_modules_know_no_network(module):
    """Imports run downhill: these stand beside the networks and never import them."""
    tree = ast.parse((ROOT / "nn" / f"{module}.py").read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    # `from nn import ...` runs nn/__init__.py, which imports the networks.
    assert not imported & {"nn", "nn.networks", "nn.layers", "nn.spec"}


# --- bad data, divergence, and failed epochs that leave nothing behind


def everything(trainer):
    """What a failed epoch must leave as it was, as plain values."""
    params = {k: v.copy() for k, v in trainer.net.params.items()}
    state = trainer.optimizer.state_dict()
    return params, state, trainer.train_loader.rng.bit_generator.state, trainer.epoch


def assert_same(a, b):
    (pa, sa, ra, ea), (pb, sb, rb, eb) = a, b
    assert pa.keys() == pb.keys() and sa.keys() == sb.keys() and ra == rb and ea == eb
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k])
    for k in sa:
        np.testing.assert_array_equal(sa[k], sb[k])


def test_nan_in_the_training_data_is_named_by_sample_and_feature(moons):
    # Before: the loss layer reported x[3, 0] of the scores (N, C), in some epoch and step.
    (x, t), test = moons
    x = x.copy()
    x[3, 1] = np.nan
    with pytest.raises(
        ValueError, match=r"the training data .* x\[3, 1\] = nan \(sample 3 of 240\)"
    ):
        moons_trainer(((x, t), test))
    (x_test, t_test) = test
    x_test = x_test.copy()
    x_test[7, 0] = np.inf
    with pytest.raises(ValueError, match=r"test_data must be finite, but x\[7, 0\] = inf"):
        moons_trainer(moons, test_data=(x_test, t_test))


def test_nan_in_regression_targets_is_named_too():
    x, t = make_sine()
    t = t.copy()
    t[1500 % len(t), 0] = np.nan
    loader = DataLoader(ArrayDataset(x, t), batch_size=16)
    with pytest.raises(ValueError, match=r"t\[100, 0\] = nan \(sample 100 of 200\)"):
        Trainer(build_network(SINE, rng=0), Adam(), loader, metric="rmse")


def test_an_exploding_but_finite_loss_stops_in_the_first_epoch(moons):
    # Before: Momentum at lr 1e3 trained on with losses near 1e68, its ReLUs dead.
    trainer = moons_trainer(moons)
    trainer.optimizer = Momentum(lr=1e3)
    before = everything(trainer)
    with pytest.raises(
        FloatingPointError,
        match=r"diverged in epoch 1, step \d+: the loss .* is more than 10000 times its start",
    ):
        trainer.fit(3)
    assert_same(everything(trainer), before)  # the broken epoch is undone


def test_divergence_can_be_set_or_turned_off(moons):
    history = moons_trainer(moons, divergence=None).fit(1)  # the same run, unchecked
    trainer = moons_trainer(moons, divergence=None)
    trainer.optimizer = Momentum(lr=1e3)
    assert trainer.fit(1)["train_loss"][0] > 1e10  # diverged, and nobody said so
    assert history["train_loss"][0] < 1  # while lr 0.01 learns
    for bad, error in ((1, ValueError), (0.5, ValueError), ("big", TypeError), (True, TypeError)):
        with pytest.raises(error, match="divergence must be"):
            moons_trainer(moons, divergence=bad)


def test_growth_is_measured_against_the_first_epoch_of_the_history():
    # A continued history's first train_loss is the start, so a resumed run stops where the
    # uninterrupted one would. The stub's batch losses are 0.5, 2.5, ..., 8.5.
    trainer = stub_trainer(StubNet(), divergence=100, history={"train_loss": [0.02]})
    with pytest.raises(FloatingPointError, match=r"epoch 2, step 2: the loss 2.5 .* start 0.02"):
        trainer.fit(1)
    assert trainer.history == {"train_loss": [0.02]}
    assert stub_trainer(StubNet(), divergence=100).fit(1)["train_loss"] == [4.5]  # 17 < 100


def test_a_failed_epoch_leaves_network_optimizer_and_rng_as_after_the_last_one(moons):
    trainer = moons_trainer(moons)
    trainer.fit(1)
    trainer.optimizer.lr = 1e300
    before = everything(trainer)
    with pytest.raises(FloatingPointError, match="epoch 2"):
        trainer.fit(1)
    assert_same(everything(trainer), before)
    trainer.optimizer.lr = 0.01  # and training can go on from there
    assert trainer.fit(1) is trainer.history and trainer.epoch == 2


def test_missing_parts_and_wrong_types_are_named(moons):
    (x, t), (x_test, t_test) = moons
    loader = DataLoader(ArrayDataset(x, t), batch_size=32)
    net = build_network(MOONS, rng=0)
    with pytest.raises(TypeError, match=r"net \(StubLast\) has no gradient, params"):
        Trainer(StubLast(), Adam(), loader)
    with pytest.raises(TypeError, match=r"optimizer \(float\) has no update"):
        Trainer(net, 0.01, loader)
    with pytest.raises(TypeError, match=r"train_loader \(tuple\) has no dataset"):
        Trainer(net, Adam(), (x, t))
    with pytest.raises(ValueError, match=r"test_data must be \(x_test, t_test\), got 3 items"):
        Trainer(net, Adam(), loader, test_data=(x_test, t_test, t_test))
    with pytest.raises(TypeError, match=r"dataset is a tuple: wrap it as ArrayDataset\(x, t\)"):
        Trainer(net, Adam(), DataLoader((x, t)))  # before: an error from indexing a tuple
    with pytest.raises(TypeError, match="progress must be True, False or None, got 'yes'"):
        Trainer(net, Adam(), loader, progress="yes")
    with pytest.raises(ValueError, match="history to continue must hold numbers"):
        Trainer(net, Adam(), loader, metric=None, history={"train_loss": ["low"]})


class StubLast:
    last_layer = Last()


def test_a_failed_epoch_also_restores_batch_norm_averages_and_dropout_masks():
    def run():
        net = MultiLayerNet(2, [16], 2, batch_norm=True, dropout=0.3, rng=1)
        loader = DataLoader(ArrayDataset(*make_moons(200, rng=0)), 32, shuffle=True, rng=2)
        return net, Trainer(net, SGD(lr=0.1), loader, metric=None, progress=False)

    net, trainer = run()
    trainer.fit(1)
    buffers = {k: v.copy() for k, v in net.buffers.items()}
    dropout_rng = net.layers["Dropout1"].rng  # its own generator, not the loader's
    state = dropout_rng.bit_generator.state
    trainer.optimizer.lr = 1e300  # the first step's forward pass moves both, then overflows
    with pytest.raises(FloatingPointError, match="epoch 2"):
        trainer.fit(1)
    for name, value in buffers.items():
        np.testing.assert_array_equal(net.buffers[name], value, err_msg=name)
    assert dropout_rng.bit_generator.state == state
    # And so the run goes on exactly as one that never failed.
    trainer.optimizer.lr = 0.1
    trainer.fit(1)
    straight, other = run()
    other.fit(2)
    assert trainer.history == other.history
    for name in net.params:
        np.testing.assert_array_equal(net.params[name], straight.params[name], err_msg=name)
