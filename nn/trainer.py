"""A training loop: mini-batches from a DataLoader, one optimizer step each, a history per epoch.

The trainer knows networks only by what it calls: `gradient` (and the `last_loss`
it leaves), `params`, `loss`, and `accuracy` or `predict` for the metric.

Training stops with a `FloatingPointError` that names the epoch and the step when it
diverges: an overflow, a NaN or infinite loss, or a loss more than `divergence` times its
start. An epoch that fails is undone: the network, the optimizer and the loader's generator
are put back as they were after the last complete epoch, so that `epoch`, `history` and a
checkpoint saved after the error agree.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from nn.data import ArrayDataset, DataLoader, Dataset
from nn.optim import Optimizer

EVAL_BATCH_SIZE = 1000  # samples per forward pass when evaluating, to bound memory
# A step's loss this many times the start loss stops training. The tutorials' runs stay
# below 3 times their start; runs that blow up pass 10,000 within a few steps.
DIVERGENCE = 1e4


class Trainable(Protocol):
    """What the trainer needs of a network (`nn.networks.Network` has all of it)."""

    params: MutableMapping[str, NDArray]
    last_loss: float  # the loss of the last `gradient` call, penalty included

    def gradient(self, x: NDArray, t: NDArray) -> Mapping[str, NDArray]: ...

    def loss(self, x: NDArray, t: NDArray) -> float: ...


Metric = Callable[[Any, NDArray, NDArray], float]


def _rmse_squared(net: Any, x: NDArray, t: NDArray) -> float:
    y = net.predict(x)
    return float(np.mean((y - np.asarray(t, dtype=y.dtype).reshape(y.shape)) ** 2))


class Trainer:
    """Train `net` with `optimizer` on the batches of `train_loader`, epoch after epoch.

    Args:
        net: a network with `gradient(x, t)`, `params`, `loss(x, t)` and `last_loss`.
        optimizer: e.g. `nn.optim.Adam()`.
        train_loader: a `DataLoader`; its dataset also gives `train_<metric>`.
        test_data: `(x_test, t_test)` or a `Dataset`, evaluated after every epoch.
        metric: "accuracy" (`net.accuracy`), "rmse", None, or `f(net, x, t)`: a sample mean.
        progress: a tqdm bar on stderr; None: only if stderr is a terminal; False: never.
        history: a history to continue, e.g. from `nn.checkpoint.load_checkpoint`.
        divergence: stop when a step's loss exceeds this many times the start loss, the
            first epoch's `train_loss` (within the first epoch: its first step's); None: never.

    Raises:
        TypeError: `net`, `optimizer` or `train_loader` lacks what training calls, or an
            argument has the wrong type.
        ValueError: the data holds NaN or infinity (the message names the sample), `test_data`
            is empty or not `(x, t)`, `metric` is unknown or needs a classifier, `divergence`
            is not above 1, or `history` does not fit the keys.

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
        _check_parts(net, optimizer, train_loader)
        if progress is not None and not isinstance(progress, bool):
            raise TypeError(f"progress must be True, False or None, got {progress!r}")
        if divergence is not None and (
            isinstance(divergence, bool) or not isinstance(divergence, numbers.Real)
        ):
            raise TypeError(f"divergence must be a number or None, got {divergence!r}")
        if divergence is not None and not divergence > 1:
            raise ValueError(f"divergence must be above 1 (a growth factor), got {divergence!r}")
        self.net, self.optimizer, self.train_loader = net, optimizer, train_loader
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
        self.test_data, self.progress, self.divergence = test_data, progress, divergence
        self._metric, self._finish, self.metric_name = _metric(metric, net)
        names = ["loss", self.metric_name] if self.metric_name else ["loss"]
        keys = [f"train_{k}" for k in names]
        if test_data is not None:
            keys += [f"test_{k}" for k in names]
        self.history: dict[str, list[float]] = {k: [] for k in keys}
        if history:
            if set(history) != set(keys) or len({len(v) for v in history.values()}) != 1:
                raise ValueError(
                    f"history to continue must have the keys {keys} with one value per epoch "
                    f"each, got {{{', '.join(f'{k}: {len(v)}' for k, v in history.items())}}}"
                )
            try:
                self.history = {k: [float(v) for v in history[k]] for k in keys}
            except (TypeError, ValueError) as exc:
                raise ValueError(f"history to continue must hold numbers: {exc}") from None

    @property
    def epoch(self) -> int:
        """Epochs trained so far, over all calls to `fit` and the history continued."""
        return len(self.history["train_loss"])

    def fit(self, epochs: int) -> dict[str, list[float]]:
        """Train `epochs` more epochs; return `self.history`, grown by one value per key each.

        Raises:
            ValueError: `epochs` is not a non-negative integer, or the loader gives no batches;
                a ValueError or TypeError inside a step says in which epoch and step.
            FloatingPointError: training diverged (an overflow, a NaN or infinite loss, or a
                loss above `divergence` times its start); the message names the epoch and step.
                The failed epoch is undone.
        """
        if not isinstance(epochs, numbers.Integral) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
        steps = len(self.train_loader)
        if epochs and steps == 0:
            raise ValueError("train_loader gives no batches: fewer samples than one batch?")
        bar = self._progress_bar(epochs * steps)
        try:
            for _ in range(epochs):
                saved = self._save_state()
                try:
                    self._train_epoch(self.epoch + 1, bar)
                except BaseException:  # also Ctrl-C: never leave half an epoch behind
                    self._restore_state(saved)
                    raise
        finally:
            if bar is not None:
                bar.close()
        return self.history

    def _save_state(self) -> tuple:
        """Copies of what an epoch changes: parameters, optimizer state, the loader's rng."""
        rng = getattr(self.train_loader, "rng", None)
        return (
            {name: np.array(p, copy=True) for name, p in self.net.params.items()},
            self.optimizer.state_dict(),
            rng.bit_generator.state if isinstance(rng, np.random.Generator) else None,
        )

    def _restore_state(self, saved: tuple) -> None:
        params, optimizer_state, rng_state = saved
        for name, value in params.items():
            np.copyto(self.net.params[name], value)
        self.optimizer.load_state_dict(optimizer_state)
        if rng_state is not None:
            self.train_loader.rng.bit_generator.state = rng_state

    def _train_epoch(self, epoch: int, bar: Any) -> None:
        losses: list[float] = []
        # The loss growth is measured against the first epoch's mean loss, so that a resumed
        # run (which has it in its history) stops exactly where the uninterrupted run would.
        start = self.history["train_loss"][0] if self.history["train_loss"] else None
        for step, (x, t) in enumerate(self.train_loader, start=1):
            try:
                reference = start if start is not None else (losses[0] if losses else None)
                losses.append(self._step(x, t, reference))
            except FloatingPointError as exc:
                hint = "" if "smaller lr" in str(exc) else "; try a smaller lr"
                raise FloatingPointError(
                    f"training diverged in epoch {epoch}, step {step}: {exc}{hint}"
                ) from exc
            except (ValueError, TypeError) as exc:
                if type(exc) not in (ValueError, TypeError):  # a subclass may take other args
                    exc.add_note(f"(in Trainer.fit, epoch {epoch}, step {step})")
                    raise
                raise type(exc)(f"in epoch {epoch}, step {step}: {exc}") from exc
            except Exception as exc:
                exc.add_note(f"(in Trainer.fit, epoch {epoch}, step {step})")
                raise
            if bar is not None:
                bar.update()
        record = {"train_loss": sum(losses) / len(losses)}
        try:  # the last update may have left parameters that overflow on the next forward pass
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                if self._metric is not None:
                    train = self._evaluate(self.train_loader.dataset)[1]
                    record[f"train_{self.metric_name}"] = train
                if self.test_data is not None:
                    loss, score = self._evaluate(self.test_data, with_loss=True)
                    record["test_loss"] = loss
                    if self._metric is not None:
                        record[f"test_{self.metric_name}"] = score
        except FloatingPointError as exc:
            raise FloatingPointError(
                f"training diverged in epoch {epoch}, evaluating after its last step: {exc}; "
                "try a smaller lr"
            ) from exc
        except Exception as exc:
            exc.add_note(f"(in Trainer.fit, evaluating after epoch {epoch})")
            raise
        for key, value in record.items():
            self.history[key].append(value)
        if bar is not None:
            bar.set_postfix({"epoch": epoch, **{k: f"{v:.4g}" for k, v in record.items()}})

    def _step(self, x: NDArray, t: NDArray, start: float | None) -> float:
        """One update; `start` is the loss growth is measured against (None: this is it)."""
        # Overflow or an invalid operation anywhere in the step raises at once, instead of a
        # warning now and NaN parameters for the rest of the run.
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            grads = self.net.gradient(x, t)
            loss = float(self.net.last_loss)  # gradient's own forward pass, penalty included
            if not math.isfinite(loss):
                raise FloatingPointError(f"the loss is {loss}")
            limit = None if start is None or self.divergence is None else self.divergence * start
            if limit is not None and start > 0 and loss > limit:
                raise FloatingPointError(
                    f"the loss {loss:.4g} is more than {self.divergence:g} times its start "
                    f"{start:.4g} (see Trainer's divergence argument)"
                )
            self.optimizer.update(self.net.params, grads)
        return loss

    def _evaluate(self, dataset: Dataset, with_loss: bool = False) -> tuple[float, float]:
        """The mean loss (if asked for) and metric over `dataset`, in chunks."""
        n, loss, score = len(dataset), 0.0, 0.0
        for start in range(0, n, EVAL_BATCH_SIZE):
            x, t = dataset[np.arange(start, min(start + EVAL_BATCH_SIZE, n))]
            if with_loss:
                loss += self.net.loss(x, t) * len(x)
            if self._metric is not None:
                score += self._metric(self.net, x, t) * len(x)
        return loss / n, self._finish(score / n)

    def _progress_bar(self, total: int) -> Any:
        if self.progress is False or (self.progress is None and not sys.stderr.isatty()):
            return None
        try:
            from tqdm import tqdm  # optional: the `train` extra, not a core dependency
        except ImportError:
            if self.progress:
                raise ImportError("progress=True needs tqdm: pip install tqdm") from None
            return None
        return tqdm(total=total, unit="step", leave=True)


def _check_parts(net: Any, optimizer: Any, train_loader: Any) -> None:
    """A TypeError naming what is missing, before training would stumble on it."""
    needs = {
        "net": (net, ("gradient", "params", "last_layer", "loss")),
        "optimizer": (optimizer, ("update", "state_dict", "load_state_dict")),
        "train_loader": (train_loader, ("__iter__", "__len__", "dataset")),
    }
    for what, (obj, names) in needs.items():
        missing = [name for name in names if not hasattr(obj, name)]
        if missing:
            raise TypeError(f"{what} ({type(obj).__name__}) has no {', '.join(missing)}")


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


def _metric(metric: str | Metric | None, net: Any) -> tuple[Any, Callable[[float], float], str]:
    """`(per-chunk mean, final transform, name)` for a metric argument; name is "" for none."""
    if metric is None:
        return None, float, ""
    if callable(metric):
        name = getattr(metric, "__name__", "")
        return metric, float, name if name.isidentifier() else "metric"
    if metric == "accuracy":
        if not hasattr(net.last_layer, "classify"):
            raise ValueError(
                f"metric 'accuracy' needs a classifier, but the network ends in "
                f"{type(net.last_layer).__name__}; use metric='rmse' or None"
            )
        return lambda net, x, t: net.accuracy(x, t), float, "accuracy"
    if metric == "rmse":  # averaged as squared errors over chunks, the root taken at the end
        return _rmse_squared, math.sqrt, "rmse"
    raise ValueError(f"metric must be 'accuracy', 'rmse', None or a callable, got {metric!r}")
