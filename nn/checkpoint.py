"""Checkpoints: parameters, optimizer state, epoch, random state and history in one `.npz`.

**No pickle.** A pickle is a small program: loading one runs the instructions in the file, and
those can call any function, so loading somebody else's pickled checkpoint runs their code
(`np.load` used to unpickle object arrays by default: CVE-2019-6446). An `.npz` file is a zip
of `.npy` files, each a header and raw numbers. Every entry here is a numeric array or a 0-d
string array (the random state and the history as JSON), and loading passes
`allow_pickle=False`, so an object array in a file is refused, never run.

**An atomic write.** A process can die at any moment of a long write. Written in place, the
old checkpoint would be emptied at once and a crash would leave half a file. `save_checkpoint`
writes a temporary file in the same folder, `fsync`s it, and renames it over the old one with
`os.replace`: within one file system the name always points at a complete old file or a
complete new one. Any error on the way removes the temporary file. On POSIX it then `fsync`s
the folder too (where the file system allows it), so that the rename is on disk when
`save_checkpoint` returns; without that, a power cut just after a save could bring back the
old checkpoint, complete but older.

**A load checks everything first.** `load_checkpoint` checks every member's CRC
(`ZipFile.testzip`), then every entry's name, shape and dtype against the network, the
optimizer's class and state, the random state and the format version, and only then changes
anything. A mismatch is a `ValueError` naming the file and what does not fit; the network, the
optimizer and the generator stay as they were.
"""

from __future__ import annotations

import contextlib
import json
import os
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nn._checks import atomic_write

FORMAT_VERSION = 1
META = ("format_version", "epoch", "optimizer", "rng", "history")
# Generators whose state is a dict of ints, which JSON round-trips exactly.
BIT_GENERATORS = ("PCG64", "PCG64DXSM")
NPY_MAGIC = b"\x93NUMPY"  # a lone .npy file, which np.load would also accept
# What zipfile, its decompressors and numpy's .npy reader raise for a damaged archive (a flag
# or method it does not know: NotImplementedError; an "encrypted" bit: RuntimeError).
READ_ERRORS: tuple[type[Exception], ...] = (zipfile.BadZipFile, zlib.error)
READ_ERRORS += (OSError, EOFError, ValueError, NotImplementedError, RuntimeError)
try:
    from lzma import LZMAError

    READ_ERRORS += (LZMAError,)
except ImportError:  # a Python without liblzma (Pyodide's): zipfile raises RuntimeError instead
    pass


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

    Raises:
        ValueError: `epoch` is not a non-negative integer, or `history` holds a non-number.
        TypeError: `rng` is not a Generator with a PCG64 or PCG64DXSM bit generator.

    Examples:
        >>> save_checkpoint("ckpt.npz", MultiLayerNet(2, [4], 2, rng=0), Adam(), epoch=5)
    """
    arrays: dict[str, Any] = {f"param/{k}": np.asarray(v) for k, v in net.params.items()}
    # Batch Normalization's running averages: not trained, but part of what the net computes.
    arrays |= {f"buffer/{k}": np.asarray(v) for k, v in getattr(net, "buffers", {}).items()}
    if optimizer is not None:
        arrays |= {f"optim/{k}": np.asarray(v) for k, v in optimizer.state_dict().items()}
    if rng is not None and type(getattr(rng, "bit_generator", None)).__name__ not in BIT_GENERATORS:
        raise TypeError(f"rng must use one of {BIT_GENERATORS}, e.g. loader.rng; got {rng!r}")
    if int(epoch) != epoch or epoch < 0:  # int("3") is 3, which is not "3"
        raise ValueError(f"epoch must be a non-negative integer, got {epoch!r}")
    if history is not None:  # lists of floats: what load_checkpoint accepts
        history = {str(k): [float(v) for v in values] for k, values in dict(history).items()}
    arrays |= {
        # int64 on every platform: the same file from a 32-bit Python (the browser's WebAssembly)
        "format_version": np.array(FORMAT_VERSION, dtype=np.int64),
        "epoch": np.array(int(epoch), dtype=np.int64),
        "optimizer": np.array("" if optimizer is None else type(optimizer).__name__),
        "rng": np.array(json.dumps(None if rng is None else rng.bit_generator.state)),
        "history": np.array(json.dumps(history)),
    }
    with atomic_write(path) as tmp, open(tmp, "wb") as f:  # a temporary file, renamed at the end
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())  # on disk before the rename makes it the checkpoint
    _fsync_folder(os.path.dirname(os.path.abspath(path)))  # and the rename itself


# --8<-- [end:save_checkpoint]


def _fsync_folder(folder: str) -> None:
    """Put a folder's entries (a rename into it) on disk; POSIX only, best effort."""
    if os.name != "posix":  # Windows cannot open a folder to fsync it
        return
    # Some file systems refuse to open or fsync a folder. The file is in place by now, so an
    # error here must not turn a save that succeeded into one that seems to have failed.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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

    Raises:
        ValueError: the file is damaged, not a checkpoint, or does not fit `net`, `optimizer`
            or `rng`; the message names the file, and nothing has been changed.
        TypeError: `net`, `optimizer` or `rng` is not of a kind that can be restored.
        FileNotFoundError: there is no file at `path` (errors of opening it pass unchanged).

    Examples:
        >>> save_checkpoint("ckpt.npz", MultiLayerNet(2, [4], 2, rng=0), Adam(), epoch=5)
        >>> load_checkpoint("ckpt.npz", MultiLayerNet(2, [4], 2, rng=1), Adam()).epoch
        5
    """
    if not isinstance(getattr(net, "params", None), Mapping):
        raise TypeError(f"net must have params, a name -> array mapping; got {type(net).__name__}")
    if optimizer is not None and not hasattr(optimizer, "load_state_dict"):
        raise TypeError(f"optimizer must have load_state_dict, got {type(optimizer).__name__}")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator to set, got {rng!r}")
    data = _read(path)
    where = f"checkpoint {os.fspath(path)!r}"
    meta = _check_meta(data, where)
    parts: dict[str, dict[str, NDArray]] = {"param": {}, "buffer": {}, "optim": {}}
    for key, value in data.items():
        part, _, name = key.partition("/")
        if key not in META and (part not in parts or not name):
            raise ValueError(f"{where} has unexpected entries {[key]}")
        if key not in META:
            parts[part][name] = value
    params, buffers, saved_state = parts["param"], parts["buffer"], parts["optim"]
    _check_arrays(params, net.params, where, "parameters")
    _check_arrays(buffers, getattr(net, "buffers", {}), where, "running averages")
    if optimizer is not None:
        _check_optimizer(saved_state, meta["optimizer"], optimizer, net.params, where)
    new_rng = None if meta["rng"] is None else _generator(meta["rng"], where)
    if rng is not None and new_rng is None:
        raise ValueError(f"{where} holds no random state to restore into rng")
    if (
        rng is not None
        and new_rng is not None
        and type(rng.bit_generator) is not type(new_rng.bit_generator)
    ):
        raise ValueError(
            f"{where} holds a {meta['rng']['bit_generator']} state, "
            f"but rng uses {type(rng.bit_generator).__name__}"
        )
    # Everything checked: from here on nothing can fail halfway. The optimizer goes first:
    # its own checks (finite state, settings in range) change nothing when they fail.
    if optimizer is not None:
        try:
            optimizer.load_state_dict(saved_state)
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from exc
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
    # Opening is outside the `try`: a missing file or a folder without read permission is
    # not a damaged checkpoint, and keeps its own error (FileNotFoundError, PermissionError).
    with open(path, "rb") as file:
        try:
            if file.read(len(NPY_MAGIC)) == NPY_MAGIC:
                raise ValueError("it holds a single array, not an .npz archive")
            with zipfile.ZipFile(file) as archive:
                # numpy may stop reading a member before its end, where zipfile checks the
                # CRC-32: testzip reads every member whole, so every byte is checked.
                damaged = archive.testzip()
                names = archive.namelist()
            if damaged is not None:
                raise ValueError(f"member {damaged!r} is damaged: its CRC-32 does not match")
            if len(set(names)) < len(names) or not all(n.endswith(".npy") for n in names):
                raise ValueError(f"unexpected members in {names}")
            file.seek(0)
            with np.load(file, allow_pickle=False) as arrays:
                return {key: arrays[key] for key in arrays.files}
        except READ_ERRORS as exc:
            raise ValueError(f"cannot read checkpoint {os.fspath(path)!r}: {exc}") from exc


def _scalar(data: Mapping[str, NDArray], key: str, kinds: str, where: str) -> Any:
    """The value of a 0-d array whose dtype kind is one of `kinds` ("iu": integer, "U": text)."""
    a = data[key]
    if a.shape != () or a.dtype.kind not in kinds:
        kind = {"U": "text", "f": "float"}.get(kinds, "integer")
        raise ValueError(f"{where}: {key} must be a 0-d {kind} array, got {a.dtype} {a.shape}")
    return a.item()


def _check_meta(data: Mapping[str, NDArray], where: str) -> dict[str, Any]:
    """The checked metadata entries: version, epoch, optimizer class, rng state, history."""
    missing = [k for k in META if k not in data]
    if missing:
        raise ValueError(f"{where} is missing entries {missing}; was it made by save_checkpoint?")
    version = _scalar(data, "format_version", "iu", where)
    if version != FORMAT_VERSION:
        raise ValueError(f"{where} has format version {version}; this nn reads {FORMAT_VERSION}")
    meta = {"epoch": _scalar(data, "epoch", "iu", where)}
    meta["optimizer"] = _scalar(data, "optimizer", "U", where)
    for key in ("rng", "history"):
        try:
            meta[key] = json.loads(_scalar(data, key, "U", where))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: {key} is not valid JSON: {exc}") from exc
    if meta["epoch"] < 0:
        raise ValueError(f"{where}: epoch must be non-negative, got {meta['epoch']}")
    rng, history = meta["rng"], meta["history"]
    if rng is not None and (
        not isinstance(rng, dict) or rng.get("bit_generator") not in BIT_GENERATORS
    ):
        raise ValueError(
            f"{where}: rng is not the state of a {' or '.join(BIT_GENERATORS)} generator"
        )
    numbers = (
        isinstance(v, list) and all(_is_number(x) for x in v) for v in dict(history or {}).values()
    )
    if history is not None and not (isinstance(history, dict) and all(numbers)):
        raise ValueError(f"{where}: history must map names to lists of numbers")
    return meta


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _check_arrays(
    saved: Mapping[str, NDArray], have: Mapping[str, NDArray], where: str, what: str
) -> None:
    """The same names as `have`, each with its shape and dtype."""
    missing, extra = sorted(set(have) - set(saved)), sorted(set(saved) - set(have))
    if missing or extra:
        raise ValueError(
            f"{where} does not fit the network: missing {what} {missing}, extra {extra}"
        )
    for name, value in saved.items():
        _check_array(value, have[name], f"{where}: {what.removesuffix('s')} {name!r}")


def _check_array(value: NDArray, have: NDArray, what: str) -> None:
    if value.shape != have.shape or value.dtype != have.dtype:
        raise ValueError(
            f"{what} is {value.dtype} {value.shape}, but the network's is {have.dtype} {have.shape}"
        )


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
        elif slot not in optimizer.slots or param not in params:
            raise ValueError(f"{where} has {name} state {key!r}, which fits no slot and parameter")
        else:
            _check_array(value, params[param], f"{where}: {name} state {key!r}")


def _generator(state: dict, where: str) -> np.random.Generator:
    """A new Generator set to `state`; setting it is also the check that `state` is valid."""
    bit_generator = getattr(np.random, state["bit_generator"])()
    try:
        bit_generator.state = state
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{where} has an invalid random state: {exc}") from exc
    return np.random.Generator(bit_generator)
