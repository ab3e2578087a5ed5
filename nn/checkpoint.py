"""Checkpoints: parameters, optimizer state, epoch, random state and history in one `.npz`.

No pickle anywhere: every entry is a numeric array or a 0-d string array (the random state and
the history as JSON), and loading uses `allow_pickle=False`. A save goes to a temporary file in
the same folder that replaces the old checkpoint only once complete, so a crash mid-save leaves
the previous checkpoint as it was. A load checks the whole file before it changes anything.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

FORMAT_VERSION = 1
META = ("format_version", "epoch", "optimizer", "rng", "history")
# Generators whose state is a dict of ints, which JSON round-trips exactly.
BIT_GENERATORS = ("PCG64", "PCG64DXSM")


@dataclass(frozen=True)
class CheckpointInfo:
    """What `load_checkpoint` returns besides the restored network and optimizer."""

    epoch: int
    history: dict[str, list[float]] | None
    rng: np.random.Generator | None


# --8<-- [start:save_checkpoint]
def save_checkpoint(
    path: str | os.PathLike[str],
    net: Any,
    optimizer: Any = None,
    *,
    epoch: int = 0,
    rng: np.random.Generator | None = None,
    history: Mapping[str, list[float]] | None = None,
) -> None:
    """Save `net.params`, the optimizer's `state_dict()` and the rest to `path`, atomically.

    Args:
        path: the file to write, usually `*.npz`; an existing one is replaced only on success.
        net: anything with `params`, a name -> array mapping such as a `Network`'s.
        optimizer: an `nn.optim` optimizer, or None.
        epoch: epochs trained so far.
        rng: the generator to resume from, e.g. a `DataLoader`'s `rng` (PCG64, the default).
        history: e.g. `Trainer.history`, a name -> list of floats.

    Examples:
        >>> save_checkpoint("ckpt.npz", MultiLayerNet(2, [4], 2, rng=0), Adam(), epoch=5)
    """
    arrays = {f"param/{k}": np.asarray(v) for k, v in net.params.items()}
    # Batch Normalization's running averages: not trained, but part of what the net computes.
    arrays |= {f"buffer/{k}": np.asarray(v) for k, v in getattr(net, "buffers", {}).items()}
    if optimizer is not None:
        arrays |= {f"optim/{k}": np.asarray(v) for k, v in optimizer.state_dict().items()}
    state = None
    if rng is not None:
        state = rng.bit_generator.state
        if state["bit_generator"] not in BIT_GENERATORS:
            raise TypeError(f"rng must use one of {BIT_GENERATORS}, got {state['bit_generator']}")
    arrays |= {
        "format_version": np.array(FORMAT_VERSION),
        "epoch": np.array(int(epoch)),
        "optimizer": np.array("" if optimizer is None else type(optimizer).__name__),
        "rng": np.array(json.dumps(state)),
        "history": np.array(json.dumps(None if history is None else dict(history))),
    }
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())  # on disk before the rename makes it the checkpoint
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; a checkpoint is a normal file
        os.replace(tmp, path)  # atomic: readers see the old file or the new, never half of one
    except BaseException:  # also KeyboardInterrupt: never leave a half-written temp file
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# --8<-- [end:save_checkpoint]


def load_checkpoint(
    path: str | os.PathLike[str],
    net: Any,
    optimizer: Any = None,
    *,
    rng: np.random.Generator | None = None,
) -> CheckpointInfo:
    """Restore `net.params` (and the optimizer's state) from `save_checkpoint`'s file.

    Everything is checked first: keys, shapes, dtypes, the format version. Only then are the
    parameters, the optimizer and `rng` changed: all of them, or on any error none of them.

    Args:
        path: a file written by `save_checkpoint`.
        net: the network to fill; its parameters must have the saved names, shapes and dtypes.
        optimizer: an optimizer of the saved class to restore, or None to skip its state.
        rng: a generator to set to the saved state; if None, a new one is returned.

    Returns:
        `CheckpointInfo(epoch, history, rng)`; `rng` is None if none was saved.

    Examples:
        >>> save_checkpoint("ckpt.npz", MultiLayerNet(2, [4], 2, rng=0), Adam(), epoch=5)
        >>> load_checkpoint("ckpt.npz", MultiLayerNet(2, [4], 2, rng=1), Adam()).epoch
        5
    """
    data = _read(path)
    where = f"checkpoint {os.fspath(path)!r}"
    meta = _check_meta(data, where)
    params = {k.removeprefix("param/"): v for k, v in data.items() if k.startswith("param/")}
    saved_state = {k.removeprefix("optim/"): v for k, v in data.items() if k.startswith("optim/")}
    extra = [k for k in data if k not in META and not k.startswith(("param/", "optim/", "buffer/"))]
    if extra:
        raise ValueError(f"{where} has unexpected entries {extra}")
    _check_params(params, net.params, where)
    buffers = {k.removeprefix("buffer/"): v for k, v in data.items() if k.startswith("buffer/")}
    _check_params(buffers, getattr(net, "buffers", {}), where, "running averages")
    if optimizer is not None:
        _check_optimizer(saved_state, meta["optimizer"], optimizer, net.params, where)
    new_rng = None
    if meta["rng"] is not None:
        new_rng = _generator(meta["rng"], where)
        if rng is not None and type(rng.bit_generator) is not type(new_rng.bit_generator):
            raise ValueError(
                f"{where} holds a {meta['rng']['bit_generator']} state, "
                f"but rng uses {type(rng.bit_generator).__name__}"
            )
    elif rng is not None:
        raise ValueError(f"{where} holds no random state to restore into rng")
    # Everything checked: from here on nothing can fail halfway.
    if optimizer is not None:
        optimizer.load_state_dict(saved_state)
    for name, value in params.items():
        net.params[name] = value
    for name, value in buffers.items():
        net.buffers[name] = value
    if rng is not None and new_rng is not None:
        rng.bit_generator.state = new_rng.bit_generator.state
        new_rng = rng
    return CheckpointInfo(meta["epoch"], meta["history"], new_rng)


def _read(path: str | os.PathLike[str]) -> dict[str, NDArray]:
    """Every array in the file, or a ValueError naming the file if it cannot be read."""
    try:
        # Our own file object: np.load leaks the one it opens when the zip turns out broken.
        with open(path, "rb") as file:
            f = np.load(file, allow_pickle=False)
            if not isinstance(f, np.lib.npyio.NpzFile):
                raise ValueError("it holds a single array, not an .npz archive")
            with f:
                return {k: f[k] for k in f.files}
    except FileNotFoundError:
        raise
    # A truncated or foreign file fails in the zip reader, the .npy parser or the pickle guard.
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"cannot read checkpoint {os.fspath(path)!r}: {exc}") from exc


def _scalar(data: Mapping[str, NDArray], key: str, kinds: str, where: str) -> Any:
    """The value of a 0-d array whose dtype kind is one of `kinds` ("iu": integer, "U": text)."""
    a = data[key]
    if a.shape != () or a.dtype.kind not in kinds:
        kind = {"U": "text", "f": "float"}.get(kinds, "integer")
        raise ValueError(f"{where}: {key} must be a 0-d {kind} array, got {a.dtype} {a.shape}")
    return a.item()


def _json(data: Mapping[str, NDArray], key: str, where: str) -> Any:
    try:
        return json.loads(_scalar(data, key, "U", where))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: {key} is not valid JSON: {exc}") from exc


def _check_meta(data: Mapping[str, NDArray], where: str) -> dict[str, Any]:
    """The checked metadata entries: version, epoch, optimizer class, rng state, history."""
    missing = [k for k in META if k not in data]
    if missing:
        raise ValueError(f"{where} is missing entries {missing}; was it made by save_checkpoint?")
    version = _scalar(data, "format_version", "iu", where)
    if version != FORMAT_VERSION:
        raise ValueError(f"{where} has format version {version}; this nn reads {FORMAT_VERSION}")
    meta = {
        "epoch": _scalar(data, "epoch", "iu", where),
        "optimizer": _scalar(data, "optimizer", "U", where),
        "rng": _json(data, "rng", where),
        "history": _json(data, "history", where),
    }
    if meta["epoch"] < 0:
        raise ValueError(f"{where}: epoch must be non-negative, got {meta['epoch']}")
    rng = meta["rng"]
    if rng is not None and (
        not isinstance(rng, dict) or rng.get("bit_generator") not in BIT_GENERATORS
    ):
        raise ValueError(
            f"{where}: rng is not the state of a {' or '.join(BIT_GENERATORS)} generator"
        )
    if meta["history"] is not None and not _is_history(meta["history"]):
        raise ValueError(f"{where}: history must map names to lists of numbers")
    return meta


def _is_history(history: Any) -> bool:
    return isinstance(history, dict) and all(
        isinstance(values, list)
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in values)
        for values in history.values()
    )


def _check_array(value: NDArray, have: NDArray, what: str) -> None:
    if value.shape != have.shape or value.dtype != have.dtype:
        raise ValueError(
            f"{what} is {value.dtype} {value.shape}, but the network's is {have.dtype} {have.shape}"
        )


def _check_params(
    saved: Mapping[str, NDArray], params: Mapping[str, NDArray], where: str, what="parameters"
) -> None:
    missing, extra = sorted(set(params) - set(saved)), sorted(set(saved) - set(params))
    if missing or extra:
        raise ValueError(
            f"{where} does not fit the network: missing {what} {missing}, extra {extra}"
        )
    for name, value in saved.items():
        _check_array(value, params[name], f"{where}: {what.removesuffix('s')} {name!r}")


def _check_optimizer(
    saved: Mapping[str, NDArray], saved_class: str, optimizer: Any, params: Mapping, where: str
) -> None:
    name = type(optimizer).__name__
    if saved_class != name:
        raise ValueError(f"{where} holds {saved_class or 'no'} optimizer state, not {name}")
    if "t" not in saved or _scalar(saved, "t", "iu", where) < 0:
        raise ValueError(f"{where}: the {name} state needs a non-negative step count t")
    for key, value in saved.items():
        slot, _, param = key.partition("/")
        if key == "t":
            continue
        if slot == "hyper" and param in optimizer.settings:
            _scalar(saved, key, "f", where)
            continue
        if slot not in optimizer.slots or param not in params:
            raise ValueError(f"{where} has {name} state {key!r}, which fits no slot and parameter")
        _check_array(value, params[param], f"{where}: {name} state {key!r}")


def _generator(state: dict, where: str) -> np.random.Generator:
    """A new Generator set to `state`; setting it is also the check that `state` is valid."""
    bit_generator = getattr(np.random, state["bit_generator"])()
    try:
        bit_generator.state = state
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where} has an invalid random state: {exc}") from exc
    return np.random.Generator(bit_generator)
