"""Tests for nn.checkpoint: round trips, bit-for-bit resume, atomic saves, tampered files."""

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import TwoLayerNet
from nn.checkpoint import FORMAT_VERSION, CheckpointInfo, load_checkpoint, save_checkpoint
from nn.data import ArrayDataset, DataLoader
from nn.datasets import make_moons, train_test_split
from nn.optim import SGD, AdaGrad, Adam, Momentum, RMSprop
from nn.spec import build_network
from nn.trainer import Trainer

ROOT = Path(__file__).resolve().parents[1]
MOONS = [
    {"input_dim": 2, "output_dim": 16, "activation": "relu"},
    {"input_dim": 16, "output_dim": 16, "activation": "relu"},
    {"input_dim": 16, "output_dim": 1, "activation": "sigmoid"},
]


def trained(seed=0, optimizer=Adam, steps=3, dtype=np.float64):
    """A small network and an optimizer that has taken `steps` steps, so its state is not 0."""
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(4, 5, 3, weight_init_std=0.5, rng=rng, dtype=dtype)
    opt = optimizer(lr=0.01)
    for _ in range(steps):
        x, t = rng.standard_normal((8, 4)).astype(dtype), rng.integers(0, 3, 8)
        opt.update(net.params, net.gradient(x, t))
    return net, opt


def snapshot(net, opt=None, rng=None):
    """Copies of everything a failed load must leave alone."""
    params = {k: v.copy() for k, v in net.params.items()}
    state = opt.state_dict() if opt is not None else None
    return params, state, None if rng is None else rng.bit_generator.state


def assert_same(a, b):
    (pa, sa, ra), (pb, sb, rb) = a, b
    assert pa.keys() == pb.keys()
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k])
    assert (sa is None) == (sb is None)
    if sa is not None:
        assert sa.keys() == sb.keys()
        for k in sa:
            np.testing.assert_array_equal(sa[k], sb[k])
    np.testing.assert_equal(ra, rb)  # generator states may hold arrays


# --- round trips


@pytest.mark.parametrize("cls", [SGD, Momentum, AdaGrad, RMSprop, Adam])
def test_round_trip_restores_params_optimizer_epoch_rng_and_history(tmp_path, cls):
    net, opt = trained(0, cls)
    rng = np.random.default_rng(42)
    rng.random(5)  # not the state a fresh seed gives
    history = {"train_loss": [0.9, 0.5, 1 / 3], "test_accuracy": [0.5, 0.75, 0.8125]}
    save_checkpoint(tmp_path / "ckpt.npz", net, opt, epoch=3, rng=rng, history=history)

    net2, opt2 = trained(1, cls, steps=1)  # different weights and optimizer state
    target = np.random.default_rng(0)
    info = load_checkpoint(tmp_path / "ckpt.npz", net2, opt2, rng=target)
    assert_same(snapshot(net2, opt2), snapshot(net, opt))
    assert opt2.t == opt.t == 3
    assert info.epoch == 3 and info.history == history
    assert info.rng is target and target.bit_generator.state == rng.bit_generator.state
    np.testing.assert_array_equal(target.random(3), rng.random(3))


def test_adam_moments_and_step_count_survive(tmp_path):
    net, opt = trained(0, Adam, steps=4)
    save_checkpoint(tmp_path / "c.npz", net, opt)
    fresh = Adam(lr=0.01)
    load_checkpoint(tmp_path / "c.npz", trained(1, Adam, steps=0)[0], fresh)
    assert fresh.t == 4
    for slot in ("m", "v"):
        assert set(fresh.state[slot]) == {"W1", "b1", "W2", "b2"}
        for name, value in opt.state[slot].items():
            assert np.any(value != 0)
            np.testing.assert_array_equal(fresh.state[slot][name], value)


def test_a_new_generator_is_returned_when_none_is_passed(tmp_path):
    rng = np.random.default_rng(7)
    save_checkpoint(tmp_path / "c.npz", trained()[0], rng=rng)
    info = load_checkpoint(tmp_path / "c.npz", trained(1)[0])
    assert isinstance(info.rng, np.random.Generator) and info.rng is not rng
    np.testing.assert_array_equal(info.rng.random(4), rng.random(4))


def test_only_params_saved_and_loaded(tmp_path):
    net, opt = trained(0)
    save_checkpoint(tmp_path / "c.npz", net)
    other = trained(1)[0]
    assert load_checkpoint(tmp_path / "c.npz", other) == CheckpointInfo(0, None, None)
    assert_same(snapshot(other), snapshot(net))
    # A checkpoint with optimizer state can still fill a network alone, for inference.
    save_checkpoint(tmp_path / "full.npz", net, opt, epoch=2)
    assert load_checkpoint(tmp_path / "full.npz", trained(1)[0]).epoch == 2


def test_float32_stays_float32(tmp_path):
    net, opt = trained(0, Adam, dtype=np.float32)
    save_checkpoint(tmp_path / "c.npz", net, opt)
    net2, opt2 = trained(1, Adam, steps=1, dtype=np.float32)
    load_checkpoint(tmp_path / "c.npz", net2, opt2)
    assert all(p.dtype == np.float32 for p in net2.params.values())
    assert_same(snapshot(net2, opt2), snapshot(net, opt))


def test_the_file_is_a_plain_npz_without_pickles(tmp_path):
    net, opt = trained()
    save_checkpoint(tmp_path / "c.npz", net, opt, rng=np.random.default_rng(0), history={})
    with np.load(tmp_path / "c.npz", allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    assert int(arrays["format_version"]) == FORMAT_VERSION
    assert {"param/W1", "optim/m/W1", "optim/t", "epoch", "rng", "history"} <= set(arrays)
    assert all(a.dtype.kind in "biufU" for a in arrays.values()), {
        k: a.dtype for k, a in arrays.items()
    }
    # The same file from every platform: int64, not the default int (int32 in WebAssembly).
    assert {arrays[k].dtype for k in ("format_version", "epoch", "optim/t")} == {np.dtype("int64")}
    assert os.stat(tmp_path / "c.npz").st_mode & 0o644 == 0o644


def test_saving_does_not_change_the_network_or_the_rng(tmp_path):
    net, opt = trained()
    rng = np.random.default_rng(3)
    before = snapshot(net, opt, rng)
    save_checkpoint(tmp_path / "c.npz", net, opt, rng=rng)
    assert_same(snapshot(net, opt, rng), before)


def test_only_json_friendly_generators_are_saved(tmp_path):
    with pytest.raises(TypeError, match="rng must use one of"):
        save_checkpoint(
            tmp_path / "c.npz", trained()[0], rng=np.random.Generator(np.random.MT19937(0))
        )
    assert not list(tmp_path.iterdir())


# --- bit-for-bit resume


def experiment():
    """Everything built from scratch, as a fresh process would."""
    x, t = make_moons(400, noise=0.25, rng=0)
    (x_train, t_train), test = train_test_split(x, t, 0.25, rng=1)
    net = build_network(MOONS, rng=2)
    opt = Adam(lr=0.01)
    loader = DataLoader(ArrayDataset(x_train, t_train), batch_size=16, shuffle=True, rng=3)
    return net, opt, loader, test


def test_resuming_from_a_checkpoint_is_bit_for_bit_the_uninterrupted_run(tmp_path):
    n, k = 6, 2
    net, opt, loader, test = experiment()
    straight = Trainer(net, opt, loader, test_data=test, progress=False).fit(n)

    net1, opt1, loader1, test1 = experiment()
    first = Trainer(net1, opt1, loader1, test_data=test1, progress=False)
    first.fit(k)
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, net1, opt1, epoch=first.epoch, rng=loader1.rng, history=first.history)
    del net1, opt1, loader1, first

    net2, opt2, loader2, test2 = experiment()
    info = load_checkpoint(path, net2, opt2, rng=loader2.rng)
    assert info.epoch == k
    resumed = Trainer(net2, opt2, loader2, test_data=test2, history=info.history, progress=False)
    history = resumed.fit(n - k)

    assert history == straight
    for name in net.params:
        assert np.array_equal(net2.params[name], net.params[name]), name
    assert_same(snapshot(net2, opt2, loader2.rng), snapshot(net, opt, loader.rng))

    # The same resume without the saved random state shuffles differently: the test can tell.
    net3, opt3, loader3, test3 = experiment()
    info = load_checkpoint(path, net3, opt3)
    Trainer(net3, opt3, loader3, test_data=test3, history=info.history, progress=False).fit(n - k)
    assert not np.array_equal(net3.params["W1"], net.params["W1"])


# --- atomic saves

CHILD = """
import io, sys, time
from pathlib import Path
import numpy as np
from nn import TwoLayerNet
from nn.checkpoint import save_checkpoint

real_savez = np.savez

def stalling_savez(file, **arrays):
    # Write the first half of the real archive, then hang as a slow disk would.
    buffer = io.BytesIO()
    real_savez(buffer, **arrays)
    data = buffer.getvalue()
    file.write(data[: len(data) // 2])
    file.flush()
    Path(sys.argv[2]).touch()
    time.sleep(120)

np.savez = stalling_savez
save_checkpoint(sys.argv[1], TwoLayerNet(4, 5, 3, rng=99), epoch=99)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("previous", [True, False])
def test_a_save_killed_midway_leaves_the_previous_checkpoint(tmp_path, previous):
    path, marker = tmp_path / "ckpt.npz", tmp_path / "writing"
    old = trained(0)[0]
    if previous:
        save_checkpoint(path, old, epoch=1)
    before = path.read_bytes() if previous else None
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), str(marker)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, f"the child ended early:\n{child.stderr.read()}"
            assert time.monotonic() < deadline, "the child never started writing"
            time.sleep(0.01)
        partial = [p for p in tmp_path.iterdir() if p not in (path, marker)]
        assert len(partial) == 1 and partial[0].stat().st_size > 0  # half a checkpoint, hidden
        child.send_signal(signal.SIGKILL)  # no handler, no cleanup can run
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stderr.close()
    assert child.returncode == -signal.SIGKILL
    if previous:
        assert path.read_bytes() == before
        net = trained(1)[0]
        assert load_checkpoint(path, net).epoch == 1
        assert_same(snapshot(net), snapshot(old))
    else:
        assert not path.exists()
    # Only the hidden temporary file is left behind, never anything under the real name.
    assert partial[0].name.startswith(".ckpt.npz.") and partial[0].name.endswith(".tmp")


@pytest.mark.parametrize("error", [OSError("No space left on device"), KeyboardInterrupt()])
def test_an_error_midway_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, error):
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, trained(0)[0], epoch=1)
    before = path.read_bytes()

    def failing_savez(file, **arrays):
        file.write(b"PK\x03\x04 partial")
        raise error

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(type(error)):
        save_checkpoint(path, trained(1)[0], epoch=2)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]


def test_a_first_save_that_fails_leaves_nothing(tmp_path, monkeypatch):
    def failing_savez(file, **arrays):
        raise OSError("disk gone")

    monkeypatch.setattr(np, "savez", failing_savez)
    with pytest.raises(OSError, match="disk gone"):
        save_checkpoint(tmp_path / "ckpt.npz", trained()[0])
    assert not list(tmp_path.iterdir())


@pytest.mark.skipif(os.name != "posix", reason="only POSIX can fsync a folder")
def test_the_data_is_fsynced_before_the_rename_and_the_folder_after_it(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    synced = []  # (is a folder, the checkpoint exists) at each fsync
    real_fsync = os.fsync

    def fsync(fd):
        synced.append((stat.S_ISDIR(os.fstat(fd).st_mode), path.exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    save_checkpoint(path, trained()[0], epoch=1)
    assert synced == [(False, False), (True, True)]
    assert load_checkpoint(path, trained()[0]).epoch == 1


# --- tampered files: a clear error, and nothing changed


def pwned(marker):
    """What a malicious pickle would run; loading must never call it."""
    Path(marker).write_text("code ran on load")


class Malicious:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return pwned, (self.marker,)


def rewrite(path, change):
    """Load a good checkpoint's arrays, let `change` edit the dict, save it back."""
    with np.load(path, allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    change(arrays)
    np.savez(path, **arrays)


def flip_a_weight_byte(path):
    raw = bytearray(path.read_bytes())
    weights = trained(0)[0].params["W1"].tobytes()
    at = raw.find(weights)
    assert at > 0
    raw[at + 3] ^= 0xFF
    path.write_bytes(bytes(raw))


def cut(fraction):
    def tamper(path):
        raw = path.read_bytes()
        path.write_bytes(raw[: int(len(raw) * fraction)])

    return tamper


TAMPERED = {
    "extra key": (lambda a: a.update(surprise=np.zeros(2)), r"unexpected entries \['surprise'\]"),
    "extra parameter": (lambda a: a.update({"param/W9": np.zeros(2)}), r"extra \['W9'\]"),
    "missing parameter": (lambda a: a.pop("param/b2"), r"missing parameters \['b2'\]"),
    "missing key": (lambda a: a.pop("epoch"), r"missing entries \['epoch'\]"),
    "wrong shape": (
        lambda a: a.update({"param/W2": np.zeros((5, 4))}),
        r"parameter 'W2' is float64 \(5, 4\), but the network's is float64 \(5, 3\)",
    ),
    "wrong dtype": (
        lambda a: a.update({"param/W1": a["param/W1"].astype(np.float32)}),
        r"parameter 'W1' is float32 \(4, 5\), but the network's is float64",
    ),
    "wrong optimizer shape": (
        lambda a: a.update({"optim/v/b1": np.zeros(7)}),
        r"Adam state 'v/b1' is float64 \(7,\)",
    ),
    "unknown optimizer slot": (
        lambda a: a.update({"optim/h/W1": a["optim/m/W1"]}),
        "Adam state 'h/W1', which fits no slot",
    ),
    "no step count": (lambda a: a.pop("optim/t"), "step count t"),
    "other optimizer": (lambda a: a.update(optimizer=np.array("SGD")), "holds SGD optimizer state"),
    "future version": (lambda a: a.update(format_version=np.array(2)), "format version 2"),
    "epoch as text": (lambda a: a.update(epoch=np.array("3")), "epoch must be a 0-d integer"),
    "bad json": (lambda a: a.update(history=np.array("{not json")), "history is not valid JSON"),
    "bad history": (
        lambda a: a.update(history=np.array('{"train_loss": "low"}')),
        "history must map names to lists of numbers",
    ),
    "foreign rng": (
        lambda a: a.update(rng=np.array('{"bit_generator": "MT19937"}')),
        "rng is not the state of a PCG64",
    ),
    "broken rng": (
        lambda a: a.update(rng=np.array('{"bit_generator": "PCG64", "state": {}}')),
        "invalid random state",
    ),
    # Before: loaded, and the next step made every weight NaN.
    "nan lr": (
        lambda a: a.update({"optim/hyper/lr": np.array(np.nan)}),
        r"checkpoint '.*ckpt.npz': lr must be positive, got nan",
    ),
    "infinite moment": (
        lambda a: a["optim/v/W1"].fill(np.inf),
        r"checkpoint '.*ckpt.npz': Adam state 'v/W1' must be a finite float array",
    ),
}


@pytest.mark.parametrize("name", list(TAMPERED))
def test_a_tampered_entry_is_refused_and_nothing_changes(tmp_path, name):
    change, match = TAMPERED[name]
    path = tmp_path / "ckpt.npz"
    net, opt = trained(0)
    save_checkpoint(path, net, opt, epoch=3, rng=np.random.default_rng(5), history={"a": [1.0]})
    rewrite(path, change)
    net2, opt2 = trained(1)
    rng = np.random.default_rng(9)
    before = snapshot(net2, opt2, rng)
    with pytest.raises(ValueError, match=match):
        load_checkpoint(path, net2, opt2, rng=rng)
    assert_same(snapshot(net2, opt2, rng), before)


@pytest.mark.parametrize(
    "tamper",
    [cut(0.5), cut(0.98), cut(0.0), flip_a_weight_byte],
    ids=["half", "end cut off", "empty", "flipped byte"],
)
def test_a_damaged_file_is_refused_by_name_and_nothing_changes(tmp_path, tamper):
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, *trained(0), epoch=3)
    tamper(path)
    net, opt = trained(1)
    before = snapshot(net, opt)
    with pytest.raises(ValueError, match=f"cannot read checkpoint '{path}'"):
        load_checkpoint(path, net, opt)
    assert_same(snapshot(net, opt), before)


def test_a_pickle_inside_is_never_run(tmp_path):
    path, marker = tmp_path / "ckpt.npz", tmp_path / "pwned"
    save_checkpoint(path, trained(0)[0])
    rewrite(path, lambda a: a.update(surprise=np.array([Malicious(str(marker))], dtype=object)))
    with np.load(path, allow_pickle=True) as f:  # the file really holds a working pickle ...
        f["surprise"]
    assert marker.exists()
    marker.unlink()
    net = trained(1)[0]
    before = snapshot(net)
    with pytest.raises(ValueError, match=r"cannot read checkpoint.*allow_pickle=False"):
        load_checkpoint(path, net)  # ... which load_checkpoint refuses to run
    assert not marker.exists()
    assert_same(snapshot(net), before)


def test_not_an_npz_or_not_there(tmp_path):
    np.save(tmp_path / "one.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"single array, not an \.npz archive"):
        load_checkpoint(tmp_path / "one.npy", trained()[0])
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ValueError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path / "text.npz", trained()[0])
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.npz", trained()[0])


def test_a_checkpoint_for_another_network_is_refused(tmp_path):
    save_checkpoint(tmp_path / "c.npz", TwoLayerNet(4, 6, 3, rng=0))
    net = trained()[0]
    before = snapshot(net)
    with pytest.raises(ValueError, match=r"'W1' is float64 \(4, 6\), but the network's is"):
        load_checkpoint(tmp_path / "c.npz", net)
    assert_same(snapshot(net), before)


def test_late_problems_still_change_nothing(tmp_path):
    """The optimizer and rng are checked after the parameters: these must not be half-loaded."""
    path = tmp_path / "c.npz"
    save_checkpoint(path, *trained(0), rng=np.random.default_rng(1))
    net, opt = trained(1, SGD)
    before = snapshot(net, opt)
    with pytest.raises(ValueError, match="holds Adam optimizer state, not SGD"):
        load_checkpoint(path, net, opt)
    assert_same(snapshot(net, opt), before)
    net, opt = trained(1)
    philox = np.random.Generator(np.random.Philox(0))
    before = snapshot(net, opt, philox)
    with pytest.raises(ValueError, match="holds a PCG64 state, but rng uses Philox"):
        load_checkpoint(path, net, opt, rng=philox)
    assert_same(snapshot(net, opt, philox), before)
    save_checkpoint(path, net)  # no optimizer, no rng saved
    with pytest.raises(ValueError, match="holds no optimizer state, not Adam"):
        load_checkpoint(path, trained(2)[0], Adam())
    with pytest.raises(ValueError, match="holds no random state"):
        load_checkpoint(path, trained(2)[0], rng=np.random.default_rng(0))


# --- any damage: a ValueError naming the file, or exactly the saved values

HISTORY = {"train_loss": [0.5, 0.25]}


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    """A checkpoint with every kind of entry, its bytes, and what loading it must give."""
    path = tmp_path_factory.mktemp("damage") / "ckpt.npz"
    net, opt = trained(0, Adam, steps=2)
    rng = np.random.default_rng(5)
    # Epoch 300 does not fit in one byte: a dtype shortened from <i8 to <i1 would show.
    save_checkpoint(path, net, opt, epoch=300, rng=rng, history=HISTORY)
    return path, path.read_bytes(), snapshot(net, opt, rng)


def load_damaged(path, raw, saved):
    """Load `raw` from `path`: either a ValueError naming it and nothing changed, or exactly
    the saved values. Any other outcome fails the test."""
    path.write_bytes(raw)
    net, opt = trained(1, Adam, steps=1)
    rng = np.random.default_rng(9)
    before = snapshot(net, opt, rng)
    try:
        info = load_checkpoint(path, net, opt, rng=rng)
    except ValueError as exc:
        assert f"'{path}'" in str(exc), exc
        assert_same(snapshot(net, opt, rng), before)
        return
    assert_same(snapshot(net, opt, rng), saved)
    assert (info.epoch, info.history, info.rng) == (300, HISTORY, rng)


def zip_fields(raw):
    """Positions of every byte of the zip headers, and of the directory's flags and method."""
    headers, flags = [], []
    for signature, size in ((b"PK\x03\x04", 30), (b"PK\x01\x02", 46), (b"PK\x05\x06", 22)):
        at = raw.find(signature)
        while at >= 0:
            headers += range(at, min(at + size, len(raw)))
            if signature == b"PK\x01\x02":
                flags += range(at + 8, at + 12)  # general purpose flags, compression method
            at = raw.find(signature, at + 1)
    return headers, flags


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_single_byte_change_is_refused_by_name_or_loads_the_saved_values(original, data):
    path, raw, saved = original
    headers, flags = zip_fields(raw)
    # Any byte at all, but often one that zipfile interprets: the few bytes of flags and
    # method are where damage used to escape as RuntimeError or NotImplementedError.
    position = data.draw(
        st.one_of(st.integers(0, len(raw) - 1), st.sampled_from(headers), st.sampled_from(flags)),
        label="position",
    )
    damaged = bytearray(raw)
    damaged[position] ^= data.draw(st.integers(1, 255), label="xor")  # never 0: a real change
    load_damaged(path.with_name("damaged.npz"), bytes(damaged), saved)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_any_truncation_is_refused_by_name(original, data):
    path, raw, saved = original
    length = data.draw(st.integers(0, len(raw) - 1), label="length")
    load_damaged(path.with_name("cut.npz"), raw[:length], saved)


def edit_zip_header(signature, offset, value):
    """A damage at `offset` in the first zip header starting with `signature`."""

    def tamper(raw):
        at = raw.index(signature) + offset
        return raw[:at] + bytes([value]) + raw[at + 1 :]

    return tamper


def shorten_epoch_dtype(raw):
    """The epoch's .npy header says <i1 instead of <i8: a reader that stops after the bytes
    the header promises would load epoch 44 (300 % 256) and never see the CRC-32."""
    at = raw.index(b"epoch.npy")
    at = raw.index(b"'<i8'", at)
    return raw[:at] + b"'<i1'" + raw[at + 5 :]


@pytest.mark.parametrize(
    "tamper",
    [
        edit_zip_header(b"PK\x01\x02", 8, 0x01),  # directory: "encrypted" -> RuntimeError
        edit_zip_header(b"PK\x01\x02", 10, 99),  # unknown method -> NotImplementedError
        edit_zip_header(b"PK\x01\x02", 8, 0x20),  # "patched data" -> NotImplementedError
        edit_zip_header(b"PK\x01\x02", 10, 8),  # "deflated": refused by the CRC-32 check
        shorten_epoch_dtype,  # refused only because the whole member is read and checked
    ],
    ids=["encrypted", "unknown method", "patched", "deflate", "shortened dtype"],
)
def test_damage_to_the_zip_directory_or_an_array_header_is_a_value_error(original, tamper):
    path, raw, _ = original
    damaged = path.with_name("tampered.npz")
    damaged.write_bytes(tamper(raw))
    net = trained(1)[0]
    before = snapshot(net)
    with pytest.raises(ValueError, match=f"cannot read checkpoint '{damaged}'"):
        load_checkpoint(damaged, net)
    assert_same(snapshot(net), before)


def test_a_python_without_lzma_imports_nn_and_refuses_an_lzma_member(original):
    """Pyodide's Python, which runs the pages' blocks in the browser, has no lzma module."""
    path, raw, _ = original
    damaged = path.with_name("lzma.npz")
    damaged.write_bytes(edit_zip_header(b"PK\x01\x02", 10, 14)(raw))  # method 14: LZMA
    script = f"""
import sys
sys.modules["lzma"] = None  # import lzma raises ImportError, as in a Python built without it
from nn import TwoLayerNet, load_checkpoint
try:
    load_checkpoint({str(damaged)!r}, TwoLayerNet(2, 3, 2))
except ValueError as exc:
    print(type(exc).__name__, exc)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"ValueError cannot read checkpoint '{damaged}'"), proc.stdout


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epoch": -1}, ValueError, "epoch must be a non-negative integer, got -1"),
        ({"epoch": 2.5}, ValueError, "epoch must be a non-negative integer, got 2.5"),
        ({"epoch": "3"}, ValueError, "epoch must be a non-negative integer, got '3'"),
        ({"rng": 0}, TypeError, r"rng must use one of .*got 0"),
        ({"history": {"train_loss": ["low"]}}, ValueError, "could not convert string to float"),
    ],
)
def test_a_save_that_load_would_refuse_fails_and_keeps_the_old_file(tmp_path, kwargs, error, match):
    # Before: epoch -1 and text in the history were saved over a good checkpoint (which
    # load_checkpoint then refused), rng=0 was an AttributeError.
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, trained(0)[0], epoch=1)
    before = path.read_bytes()
    with pytest.raises(error, match=match):
        save_checkpoint(path, trained(1)[0], **kwargs)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]


def test_history_numbers_are_saved_as_floats(tmp_path):
    save_checkpoint(tmp_path / "c.npz", trained()[0], history={"loss": (np.float32(0.5), 1)})
    assert load_checkpoint(tmp_path / "c.npz", trained(1)[0]).history == {"loss": [0.5, 1.0]}


def test_load_checkpoint_names_arguments_of_the_wrong_kind(tmp_path):
    save_checkpoint(tmp_path / "c.npz", trained()[0], rng=np.random.default_rng(0))
    net = trained(1)[0]
    before = snapshot(net)
    with pytest.raises(TypeError, match=r"rng must be a numpy.random.Generator to set, got 0"):
        load_checkpoint(tmp_path / "c.npz", net, rng=0)  # before: AttributeError
    with pytest.raises(TypeError, match="net must have params, a name -> array mapping"):
        load_checkpoint(tmp_path / "c.npz", object())
    with pytest.raises(TypeError, match="optimizer must have load_state_dict, got float"):
        load_checkpoint(tmp_path / "c.npz", net, 0.01)
    assert_same(snapshot(net), before)
