"""A training loop: mini-batches from a DataLoader, one optimizer step each, a history per epoch.

The trainer knows networks only by what it calls: `gradient` (which leaves the loss it computed
in `last_loss`), `params`, `loss`, and `accuracy` or `predict` for the metric.

Training stops with a `FloatingPointError` that names the epoch and the step when it
diverges: an overflow, a NaN or infinite loss, or a loss more than `divergence` times its
start. An epoch that fails, for any reason, is undone: the network's parameters and buffers
(`net.params`, `net.buffers`: Batch Normalization's running averages), the optimizer's
`state_dict()`, and the state of the loader's `rng` and of every layer's own `rng` (Dropout's
masks) are put back as they were after the last complete epoch, so that `epoch`, `history`
and a checkpoint saved after the error agree. Nothing else is undone: a layer's cache of its
last forward pass, say, is that of the failed step.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import sys
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from nn.data import ArrayDataset, DataLoader, Dataset
from nn.optim import Optimizer

EVAL_BATCH_SIZE = 1000  # samples per forward pass when evaluating, to bound memory
DIVERGENCE = 1e4  # a step's loss this many times the start loss stops training


class Trainable(Protocol):
    """What the trainer needs of a network (`nn.networks.Network` has all of it)."""

    params: MutableMapping[str, NDArray]
    last_loss: float  # the loss of the last `gradient` call

    def gradient(self, x: NDArray, t: NDArray) -> Mapping[str, NDArray | None]: ...

    def loss(self, x: NDArray, t: NDArray) -> float: ...


Metric = Callable[[Any, NDArray, NDArray], float]


class Trainer:
    """Train `net` with `optimizer` on the batches of `train_loader`, epoch after epoch.

    Args:
        net: a network with `gradient(x, t)` (setting `last_loss`), `params` and `loss(x, t)`.
        optimizer: e.g. `nn.optim.Adam()`.
        train_loader: a `DataLoader`; its dataset also gives `train_<metric>`.
        test_data: `(x_test, t_test)` or a `Dataset`, evaluated after every epoch.
        metric: "accuracy" (`net.accuracy`), "rmse", None, or `f(net, x, t)`: a sample mean.
        progress: a tqdm bar on stderr; None: only if stderr is a terminal; False: never.
        history: a history to continue, e.g. from `nn.checkpoint.load_checkpoint`.
        divergence: stop when a step's loss exceeds this many times the start loss, the
            first epoch's `train_loss` (within the first epoch: its first step's); None: never.

    Raises:
        TypeError: a part lacks what training calls, or an argument has the wrong type.
        ValueError: NaN or infinity in the data (the message names the sample), or an argument
            out of range.

    Examples:
        >>> loader = DataLoader(ArrayDataset(*make_moons(200, rng=0)), shuffle=True, rng=0)
        >>> trainer = Trainer(MultiLayerNet(2, [16], 2, rng=0), Adam(lr=0.01), loader)
        >>> list(trainer.fit(5)), trainer.epoch
        (['train_loss', 'train_accuracy'], 5)
    """

    def __init__(
        self,
        net: Trainable,
        optimizer: Optimizer,
        train_loader: DataLoader,
        *,
        test_data: Dataset | tuple[Any, Any] | None = None,
        metric: str | Metric | None = "accuracy",
        progress: bool | None = None,
        history: Mapping[str, list[float]] | None = None,
        divergence: float | None = DIVERGENCE,
    ) -> None:
        _check_arguments(net, optimizer, train_loader, progress, divergence)
        if isinstance(test_data, tuple):
            if len(test_data) != 2:
                raise ValueError(f"test_data must be (x_test, t_test), got {len(test_data)} items")
            test_data = ArrayDataset(*test_data)
        if test_data is not None and len(test_data) == 0:
            raise ValueError("test_data is empty")
        # Checked once here, where the data enters: NaN would otherwise surface in the loss
        # layer, by its position among the scores, or as "overflow" in some step.
        _check_finite_data(train_loader.dataset, "the training data")
        if test_data is not None:
            _check_finite_data(test_data, "test_data")
        self.net, self.optimizer, self.train_loader = net, optimizer, train_loader
        self.test_data, self.progress, self.divergence = test_data, progress, divergence
        self._metric, self._finish, self.metric_name = _metric(metric, net)
        names = ["loss", self.metric_name] if self.metric_name else ["loss"]
        splits = ["train", "test"] if test_data is not None else ["train"]
        self.history = _history(history, [f"{split}_{k}" for split in splits for k in names])

    @property
    def epoch(self) -> int:
        """Epochs trained so far, over all calls to `fit` and the history continued."""
        return len(self.history["train_loss"])

    def fit(self, epochs: int) -> dict[str, list[float]]:
        """Train `epochs` more epochs; return `self.history`, grown by one value per key each.

        Raises:
            ValueError: `epochs` is not a non-negative integer, or the loader gives no batches.
            FloatingPointError: training diverged; the message names the epoch and step.
            Any error of a step: a note says in which epoch and step. The failed epoch is undone.
        """
        if not isinstance(epochs, numbers.Integral) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
        steps = len(self.train_loader)
        if epochs and steps == 0:
            raise ValueError("train_loader gives no batches: fewer samples than one batch?")
        bar = _progress_bar(self.progress, epochs * steps)
        try:
            for _ in range(epochs):
                restore = _saved(self.net, self.optimizer, self.train_loader)
                try:
                    record = self._guarded_epoch(self.epoch + 1, bar)
                except BaseException:  # also Ctrl-C: never leave half an epoch behind
                    restore()
                    raise
                for key, value in record.items():
                    self.history[key].append(value)
        finally:
            if bar is not None:
                bar.close()
        return self.history

    def _guarded_epoch(self, epoch: int, bar: Any) -> dict[str, float]:
        """`_train_epoch` with its guards, then the evaluation: the epoch's record for `history`."""
        steps = _Steps(self.train_loader, epoch, bar)
        with _noted(steps.where):
            record = {"train_loss": self._train_epoch(steps)}
        # The last update may have left parameters that overflow on this forward pass.
        with _noted(lambda: f"epoch {epoch}, evaluating after its last step"):
            if self._metric is not None:
                record[f"train_{self.metric_name}"] = self._score(self.train_loader.dataset)
            if self.test_data is not None:
                record["test_loss"] = evaluate(self.net, self.test_data, _loss)
                if self._metric is not None:
                    record[f"test_{self.metric_name}"] = self._score(self.test_data)
        if bar is not None:
            bar.set_postfix({"epoch": epoch, **{k: f"{v:.4g}" for k, v in record.items()}})
        return record

    # --8<-- [start:train_epoch]
    def _train_epoch(self, batches):
        """One pass over the training data, one update per mini-batch; the mean of its losses."""
        losses: list[float] = []
        for x, t in batches:
            grads = self.net.gradient(x, t)  # forward and backward: the loss and every dL/dW
            losses.append(self._checked(self.net.last_loss, losses))  # stop on NaN or explosion
            self.optimizer.update(self.net.params, grads)  # every parameter, one step downhill
        return sum(losses) / len(losses)

    # --8<-- [end:train_epoch]

    def _checked(self, loss: float, losses: list[float]) -> float:
        """`loss` as a float, or a FloatingPointError, before the update, if training diverged.

        The growth is measured against the first epoch's mean loss (within the first epoch,
        against its first step's), so that a resumed run (which has the first epoch in its
        history) stops exactly where the uninterrupted run would.
        """
        loss = float(loss)
        history = self.history["train_loss"]
        start = history[0] if history else (losses[0] if losses else None)
        if reason := _diverged(loss, start, self.divergence):
            where = f"epoch {self.epoch + 1}, step {len(losses) + 1}"
            raise FloatingPointError(f"training diverged in {where}: {reason}")
        return loss

    def _score(self, data: Dataset) -> float:
        assert self._metric is not None
        return self._finish(evaluate(self.net, data, self._metric))


def evaluate(net: Any, data: Dataset, metric: Metric) -> float:
    """The mean of `metric(net, x, t)` over `data`, a sample mean, in chunks of samples.

    Examples:
        >>> x, t = make_moons(100, rng=0)
        >>> net = MultiLayerNet(2, [4], 2, rng=0)
        >>> evaluate(net, ArrayDataset(x, t), lambda net, x, t: net.loss(x, t)) == net.loss(x, t)
        True
    """
    n, total = len(data), 0.0
    for start in range(0, n, EVAL_BATCH_SIZE):
        x, t = data[np.arange(start, min(start + EVAL_BATCH_SIZE, n))]
        total += metric(net, x, t) * len(x)
    return total / n


def _diverged(loss: float, start: float | None, divergence: float | None) -> str | None:
    """Why `loss` stops training, or None: not finite, or `divergence` times `start`."""
    if not math.isfinite(loss):
        return f"the loss is {loss}; try a smaller lr"
    if start is None or divergence is None or start <= 0 or loss <= divergence * start:
        return None
    return (
        f"the loss {loss:.4g} is more than {divergence:g} times its start {start:.4g} "
        "(see Trainer's divergence argument); try a smaller lr"
    )


class _Steps:
    """The loader's batches, counted so that an error can say in which step it happened; the
    progress bar ticks after each step."""

    def __init__(self, loader: DataLoader, epoch: int, bar: Any) -> None:
        self.loader, self.epoch, self.bar = loader, epoch, bar
        self.step: int | None = None

    def __iter__(self) -> Iterator[Any]:
        for step, batch in enumerate(self.loader, start=1):
            self.step = step
            yield batch
            self.step = None  # reading the next batch is no step's doing
            if self.bar is not None:
                self.bar.update()

    def where(self) -> str | None:
        return None if self.step is None else f"epoch {self.epoch}, step {self.step}"


@contextlib.contextmanager
def _noted(where: Callable[[], str | None]) -> Iterator[None]:
    """Overflow raises at once (not NaN weights later); any error gets a note saying `where()`."""
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            yield
    except FloatingPointError as exc:
        # `Trainer._checked`'s own error says where already.
        if (place := where()) and not str(exc).startswith("training diverged"):
            exc.add_note(f"training diverged in {place}: try a smaller lr")
        raise
    except Exception as exc:
        if place := where():
            exc.add_note(f"(in Trainer.fit, {place})")
        raise


def _saved(net: Any, optimizer: Any, loader: Any) -> Callable[[], None]:
    """Copies of what an epoch changes (see the module's docstring), and a function that
    puts them back."""
    arrays = [net.params, getattr(net, "buffers", {})]
    copies = [{k: np.array(v, copy=True) for k, v in a.items()} for a in arrays]
    optimizer_state = optimizer.state_dict()
    layers = getattr(net, "layers", {}).values()
    generators = [getattr(part, "rng", None) for part in (loader, *layers)]
    states = [(g, g.bit_generator.state) for g in generators if isinstance(g, np.random.Generator)]

    def restore() -> None:
        for mapping, saved in zip(arrays, copies, strict=True):
            for name, value in saved.items():
                np.copyto(mapping[name], value)
        optimizer.load_state_dict(optimizer_state)
        for generator, state in states:
            generator.bit_generator.state = state

    return restore


def _loss(net: Any, x: NDArray, t: NDArray) -> float:
    return float(net.loss(x, t))


def _rmse_squared(net: Any, x: NDArray, t: NDArray) -> float:
    y = net.predict(x)
    return float(np.mean((y - np.asarray(t, dtype=y.dtype).reshape(y.shape)) ** 2))


def _metric(
    metric: str | Metric | None, net: Any
) -> tuple[Metric | None, Callable[[float], float], str]:
    """`(per-chunk mean, final transform, name)` for a metric argument; name is "" for none."""
    if metric is None:
        return None, float, ""
    if callable(metric):
        name = getattr(metric, "__name__", "")
        return metric, float, name if name.isidentifier() else "metric"
    if metric == "accuracy":
        last = getattr(net, "last_layer", None)
        if not hasattr(last, "classify"):
            raise ValueError(
                f"metric 'accuracy' needs a classifier, but the network ends in "
                f"{type(last).__name__}; use metric='rmse' or None"
            )
        return lambda net, x, t: net.accuracy(x, t), float, "accuracy"
    if metric == "rmse":  # averaged as squared errors over chunks, the root taken at the end
        return _rmse_squared, math.sqrt, "rmse"
    raise ValueError(f"metric must be 'accuracy', 'rmse', None or a callable, got {metric!r}")


def _history(history: Mapping[str, list[float]] | None, keys: list[str]) -> dict[str, list[float]]:
    """An empty list for each key, or a copy of `history` to continue, checked against them."""
    if not history:
        return {k: [] for k in keys}
    if set(history) != set(keys) or len({len(v) for v in history.values()}) != 1:
        raise ValueError(
            f"history to continue must have the keys {keys} with one value per epoch "
            f"each, got {{{', '.join(f'{k}: {len(v)}' for k, v in history.items())}}}"
        )
    try:
        return {k: [float(v) for v in history[k]] for k in keys}
    except (TypeError, ValueError) as exc:
        raise ValueError(f"history to continue must hold numbers: {exc}") from None


def _check_arguments(
    net: Any, optimizer: Any, train_loader: Any, progress: Any, divergence: Any
) -> None:
    """A TypeError naming what is missing, before training would stumble on it."""
    needs = {
        "net": (net, ("gradient", "params", "loss")),
        "optimizer": (optimizer, ("update", "state_dict", "load_state_dict")),
        "train_loader": (train_loader, ("__iter__", "__len__", "dataset")),
    }
    for what, (obj, names) in needs.items():
        missing = [name for name in names if not hasattr(obj, name)]
        if missing:
            raise TypeError(f"{what} ({type(obj).__name__}) has no {', '.join(missing)}")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be True, False or None, got {progress!r}")
    if divergence is not None and (
        isinstance(divergence, bool) or not isinstance(divergence, numbers.Real)
    ):
        raise TypeError(f"divergence must be a number or None, got {divergence!r}")
    if divergence is not None and not float(divergence) > 1:
        raise ValueError(f"divergence must be above 1 (a growth factor), got {divergence!r}")


def _check_finite_data(dataset: Dataset, what: str) -> None:
    """A ValueError naming the first sample of `dataset` that holds NaN or infinity."""
    if isinstance(dataset, tuple | list):  # DataLoader((x, t)) fails only when it is iterated
        raise TypeError(f"the dataset is a {type(dataset).__name__}: wrap it as ArrayDataset(x, t)")
    n = len(dataset)
    for begin in range(0, n, EVAL_BATCH_SIZE):
        batch = dataset[np.arange(begin, min(begin + EVAL_BATCH_SIZE, n))]
        for name, a in zip("xt", batch, strict=True):
            a = np.asarray(a)
            if a.dtype.kind in "fc" and not np.isfinite(a).all():
                bad = np.argwhere(~np.isfinite(a))[0]
                index = ", ".join(map(str, [begin + bad[0], *bad[1:]]))
                raise ValueError(
                    f"{what} must be finite, but {name}[{index}] = {a[tuple(bad)]} "
                    f"(sample {begin + bad[0]} of {n}); fix or drop that sample"
                )


def _progress_bar(progress: bool | None, total: int) -> Any:
    """A tqdm bar of `total` steps, or None (see Trainer's `progress`)."""
    if progress is False or (progress is None and not sys.stderr.isatty()):
        return None
    try:
        from tqdm import tqdm  # optional: the `train` extra, not a core dependency
    except ImportError:
        if progress:
            raise ImportError("progress=True needs tqdm: pip install tqdm") from None
        return None
    return tqdm(total=total, unit="step", leave=True)
