"""A failed epoch is undone, and a refused Trainer changes nothing: random failures, state compared.

A `Trainer` trains a small network for some epochs; then, in a random step of a random later
epoch, something goes wrong: the learning rate explodes (the loss diverges or overflows), a
batch holds a label out of range or NaN, the user presses Ctrl-C, or the metric fails after the
epoch's last update. The network's parameters, buffers and generator states, the loader's
generator and the optimizer's state must then be exactly those of a twin trainer that ran only
the complete epochs, with the same `history` and `epoch`; and training on must go on as the
twin's does. A layer's cache is not compared: the Trainer promises to undo an epoch, and a
cache is what the last forward pass left (see nn/trainer.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import SGD, Adam, ArrayDataset, DataLoader, Momentum, Trainer
from tests.refused import (
    CLASSES,
    SAMPLE,
    assert_net_unchanged,
    good_batch,
    make,
    net_snapshot,
    seeds,
)

N, BATCH = 24, 8
OPTIMIZERS = {"SGD": lambda: SGD(lr=0.1), "Momentum": lambda: Momentum(lr=0.05), "Adam": Adam}
FAILURES = {
    "lr": FloatingPointError,  # the learning rate explodes at this step
    "label": ValueError,  # a batch holds a label out of range
    "nan": ValueError,  # a batch holds NaN
    "interrupt": KeyboardInterrupt,  # Ctrl-C while the batch is read
    "metric": ValueError,  # the metric fails after the epoch's last update
}


class FailingLoader(DataLoader):
    """A DataLoader whose epoch `fail_at` goes wrong at step `step` (counted from 0)."""

    def __init__(self, dataset, trainer_box, failure, fail_at, step, rng):
        super().__init__(dataset, BATCH, shuffle=True, rng=rng)
        self.box, self.failure, self.fail_at, self.step = trainer_box, failure, fail_at, step
        self.epochs, self.metric_fails = 0, False

    def __iter__(self):
        self.epochs += 1
        armed = self.failure is not None and self.epochs == self.fail_at
        for i, (x, t) in enumerate(super().__iter__()):
            if armed and i == self.step:
                x, t = x.copy(), t.copy()
                if self.failure == "lr":
                    self.box[0].optimizer.lr = 1e300
                elif self.failure == "label":
                    t[-1] = CLASSES + 4
                elif self.failure == "nan":
                    x.reshape(len(x), -1)[-1, 0] = np.nan
                elif self.failure == "interrupt":
                    raise KeyboardInterrupt
            yield x, t
        self.metric_fails = armed and self.failure == "metric"


def build(name, draw_net, optimizer, seed, failure=None, fail_at=0, step=0):
    net = make(name, draw_net)
    x, t = good_batch(name, N, seed=seed)
    box = []
    loader = FailingLoader(ArrayDataset(x, t), box, failure, fail_at, step, rng=seed)

    def metric(net, x, t):
        if loader.metric_fails:
            raise ValueError("the metric failed")
        return net.accuracy(x, t)

    test = good_batch(name, 8, seed=seed + 1)
    box.append(Trainer(net, OPTIMIZERS[optimizer](), loader, test_data=test, metric=metric))
    return box[0]


def state(trainer):
    """What an epoch changes and a failed one must put back, as plain values."""
    net = trainer.net
    parts = [*net.layers.values(), trainer.train_loader]
    generators = [v for p in parts for v in vars(p).values() if isinstance(v, np.random.Generator)]
    return {
        "params": {k: v.copy() for k, v in net.params.items()},
        "buffers": {k: v.copy() for k, v in net.buffers.items()},
        "generators": [g.bit_generator.state for g in generators],
        "optimizer": trainer.optimizer.state_dict(),
        "history": {k: list(v) for k, v in trainer.history.items()},
        "epoch": trainer.epoch,
    }


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in ("params", "buffers", "optimizer"):
        assert a[key].keys() == b[key].keys(), key
        for name in a[key]:
            np.testing.assert_array_equal(a[key][name], b[key][name], err_msg=f"{key} {name}")
    for key in ("generators", "history", "epoch"):
        assert a[key] == b[key], key


@pytest.mark.parametrize("name", list(SAMPLE))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_failed_epoch_leaves_what_the_last_complete_one_left(name, data):
    optimizer = data.draw(st.sampled_from(list(OPTIMIZERS)), label="optimizer")
    failure = data.draw(st.sampled_from(list(FAILURES)), label="failure")
    fail_at = data.draw(st.integers(1, 3), label="failing epoch")
    step = data.draw(st.integers(0, N // BATCH - 1), label="step")
    seed = data.draw(st.integers(0, 99), label="seed")
    drawn = {}  # the twin's network is drawn the same

    def draw_net(strategy, label=None):
        if label not in drawn:
            drawn[label] = data.draw(strategy, label=label)
        return drawn[label]

    trainer = build(name, draw_net, optimizer, seed, failure, fail_at, step)
    twin = build(name, draw_net, optimizer, seed)
    first = data.draw(st.integers(0, fail_at - 1), label="epochs in a first fit")
    trainer.fit(first)  # the failing epoch is the first of the next fit, or a later one
    twin.fit(fail_at - 1)
    with pytest.raises(FAILURES[failure]):
        trainer.fit(fail_at - first + data.draw(st.integers(0, 1), label="epochs to spare"))
    assert_same_state(state(trainer), state(twin))
    trainer.train_loader.failure = None  # and training goes on as if nothing had happened
    trainer.fit(1)
    twin.fit(1)
    assert_same_state(state(trainer), state(twin))


@pytest.mark.parametrize("name", list(SAMPLE))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_a_refused_trainer_changes_nothing(name, data):
    net = make(name, data.draw)
    x, t = good_batch(name, N, seed=data.draw(st.integers(0, 99)))
    test = good_batch(name, 8)
    optimizer = Adam()
    if data.draw(st.booleans(), label="trained"):
        optimizer.update(net.params, net.gradient(x[:4], t[:4]))
    where = data.draw(st.sampled_from(["x", "t", "x_test", "test_data"]), label="where")
    if where == "test_data":
        test = (*test, test[1])  # three items
    else:
        bad = {"x": x, "t": t.astype(float), "x_test": test[0]}[where].copy()
        bad.flat[data.draw(st.integers(0, bad.size - 1))] = data.draw(
            st.sampled_from([np.nan, np.inf, -np.inf])
        )
        if where == "x":
            x = bad
        elif where == "t":
            t = bad
        else:
            test = (bad, test[1])
    loader = DataLoader(ArrayDataset(x, t), BATCH, shuffle=True, rng=data.draw(seeds))
    before = net_snapshot(net), optimizer.state_dict(), loader.rng.bit_generator.state
    with pytest.raises(ValueError):
        Trainer(net, optimizer, loader, test_data=test)
    assert_net_unchanged(net, before[0])
    after = optimizer.state_dict()
    assert after.keys() == before[1].keys()
    for k in after:
        np.testing.assert_array_equal(after[k], before[1][k])
    assert loader.rng.bit_generator.state == before[2]
