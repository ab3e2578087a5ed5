"""A training loop: mini-batches from a DataLoader, one optimizer step each, a history per epoch.

The trainer knows networks only by what it calls: `gradient`, `params`, `last_layer.loss`,
`loss`, and `accuracy` or `predict` for the metric.
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


class Trainable(Protocol):
    """What the trainer needs of a network (`nn.networks.Network` has all of it)."""

    params: MutableMapping[str, NDArray]
    last_layer: Any  # its `.loss` is the loss of the last forward pass

    def gradient(self, x: NDArray, t: NDArray) -> Mapping[str, NDArray]: ...

    def loss(self, x: NDArray, t: NDArray) -> float: ...


Metric = Callable[[Any, NDArray, NDArray], float]


def _rmse_squared(net: Any, x: NDArray, t: NDArray) -> float:
    y = net.predict(x)
    return float(np.mean((y - np.asarray(t, dtype=y.dtype).reshape(y.shape)) ** 2))


class Trainer:
    """Train `net` with `optimizer` on the batches of `train_loader`, epoch after epoch.

    Args:
        net: a network with `gradient(x, t)`, `params`, `loss(x, t)` and `last_layer.loss`.
        optimizer: e.g. `nn.optim.Adam()`.
        train_loader: a `DataLoader`; its dataset also gives `train_<metric>`.
        test_data: `(x_test, t_test)` or a `Dataset`, evaluated after every epoch.
        metric: "accuracy" (`net.accuracy`), "rmse", None, or `f(net, x, t)`: a sample mean.
        progress: a tqdm bar on stderr; None: only if stderr is a terminal; False: never.
        history: a history to continue, e.g. from `nn.checkpoint.load_checkpoint`.

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
    ) -> None:
        self.net, self.optimizer, self.train_loader = net, optimizer, train_loader
        if isinstance(test_data, tuple):
            test_data = ArrayDataset(*test_data)
        if test_data is not None and len(test_data) == 0:
            raise ValueError("test_data is empty")
        self.test_data, self.progress = test_data, progress
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
            self.history = {k: [float(v) for v in history[k]] for k in keys}

    @property
    def epoch(self) -> int:
        """Epochs trained so far, over all calls to `fit` and the history continued."""
        return len(self.history["train_loss"])

    def fit(self, epochs: int) -> dict[str, list[float]]:
        """Train `epochs` more epochs; return `self.history`, grown by one value per key each.

        Raises:
            FloatingPointError: training diverged (an overflow, or a NaN or infinite loss);
                the message names the epoch and the step.
        """
        if not isinstance(epochs, numbers.Integral) or isinstance(epochs, bool) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
        steps = len(self.train_loader)
        if epochs and steps == 0:
            raise ValueError("train_loader gives no batches: fewer samples than one batch?")
        bar = self._progress_bar(epochs * steps)
        try:
            for _ in range(epochs):
                self._train_epoch(self.epoch + 1, bar)
        finally:
            if bar is not None:
                bar.close()
        return self.history

    def _train_epoch(self, epoch: int, bar: Any) -> None:
        losses = []
        for step, (x, t) in enumerate(self.train_loader, start=1):
            try:
                losses.append(self._step(x, t))
            except FloatingPointError as exc:
                raise FloatingPointError(
                    f"training diverged in epoch {epoch}, step {step}: {exc}; try a smaller lr"
                ) from exc
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

    def _step(self, x: NDArray, t: NDArray) -> float:
        # Overflow or an invalid operation anywhere in the step raises at once, instead of a
        # warning now and NaN parameters for the rest of the run.
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            grads = self.net.gradient(x, t)
            loss = float(self.net.last_layer.loss)  # from gradient's forward pass: no second one
            if hasattr(self.net.params, "penalty"):  # weight decay's 0.5 * lambda * sum(W**2)
                loss += self.net.params.penalty()
            if not math.isfinite(loss):
                raise FloatingPointError(f"the loss is {loss}")
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
                raise ImportError("progress=True needs tqdm: pip install 'nn[train]'") from None
            return None
        return tqdm(total=total, unit="step", leave=True)


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
