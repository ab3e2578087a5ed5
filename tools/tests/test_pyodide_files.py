"""tools/site/pyodide.py: the Pyodide files the site serves, and how it marks the blocks.

The download is tested against a registry served on 127.0.0.1 (nothing else is reachable in
the tests), with a tarball made here and its integrity pinned for the test.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import re
import tarfile
import threading

import pytest

from tools.site import pyodide


def make_tarball(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


@pytest.fixture
def registry(tmp_path):
    """An npm registry on 127.0.0.1 serving `pyodide/-/pyodide-0.27.7.tgz` from a folder."""
    root = tmp_path / "registry"
    (root / "pyodide" / "-").mkdir(parents=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield root / "pyodide" / "-" / pyodide.TARBALL, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def pinned(monkeypatch):
    """A tarball with every core file, its integrity pinned in place of the real one."""
    data = make_tarball({name: f"<{name}>".encode() for name in pyodide.CORE})
    monkeypatch.setattr(pyodide, "INTEGRITY", pyodide.integrity_of(data))
    monkeypatch.delenv("NN_PYODIDE_TARBALL", raising=False)
    return data


def test_the_tarball_is_downloaded_once_checked_and_kept(tmp_path, registry, pinned, monkeypatch):
    served, url = registry
    served.write_bytes(pinned)
    monkeypatch.setenv("NN_NPM_REGISTRY", url)
    cache = tmp_path / "cache"
    assert pyodide.tarball(cache) == pinned
    assert (cache / pyodide.TARBALL).read_bytes() == pinned
    served.unlink()  # offline from now on: the kept copy is enough
    assert pyodide.core_files(cache)["pyodide.asm.wasm"] == b"<pyodide.asm.wasm>"


def test_a_tarball_that_is_not_the_pinned_one_is_refused_and_not_kept(
    tmp_path, registry, pinned, monkeypatch
):
    served, url = registry
    served.write_bytes(pinned[:-1] + bytes([pinned[-1] ^ 1]))
    monkeypatch.setenv("NN_NPM_REGISTRY", url)
    cache = tmp_path / "cache"
    with pytest.raises(pyodide.PyodideError, match=re.escape("is not pyodide@0.27.7: its sha512")):
        pyodide.tarball(cache)
    assert not cache.exists() or not any(cache.iterdir())


def test_offline_without_a_copy_says_how_to_get_one(tmp_path, registry, pinned, monkeypatch):
    _, url = registry  # nothing served: 404
    monkeypatch.setenv("NN_NPM_REGISTRY", url)
    with pytest.raises(pyodide.PyodideError, match=re.escape("npm pack pyodide@0.27.7")):
        pyodide.tarball(tmp_path / "cache")


def test_a_given_tarball_is_checked_too(tmp_path, pinned, monkeypatch):
    given = tmp_path / "pyodide.tgz"
    monkeypatch.setenv("NN_PYODIDE_TARBALL", str(given))
    with pytest.raises(pyodide.PyodideError, match="no such file"):
        pyodide.tarball(tmp_path / "cache")
    given.write_bytes(pinned)
    assert pyodide.tarball(tmp_path / "cache") == pinned
    given.write_bytes(b"not a tarball")
    with pytest.raises(pyodide.PyodideError, match="is not pyodide"):
        pyodide.tarball(tmp_path / "cache")


def test_numpys_wheel_must_have_the_hash_the_lock_file_pins(tmp_path, monkeypatch):
    wheel = pyodide.VENDOR / "numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl"
    lock = {
        "info": {"python": "3.12.7"},
        "packages": {
            "numpy": {
                "file_name": wheel.name,
                "version": "2.0.2",
                "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
            }
        },
    }
    core = {"pyodide-lock.json": json.dumps(lock).encode()}
    monkeypatch.setattr(pyodide, "core_files", lambda cache: dict(core))
    served = pyodide.served_files()
    manifest = json.loads(served["manifest.json"])
    assert manifest["numpy"] == "2.0.2" and manifest["wheel"].endswith(".whl")
    lock["packages"]["numpy"]["sha256"] = "0" * 64
    core["pyodide-lock.json"] = json.dumps(lock).encode()
    with pytest.raises(pyodide.PyodideError, match=f"{wheel.name} has sha256"):
        pyodide.served_files()


def block(lang: str, code: str, cont: bool = False) -> str:
    marker = "<!--pytest-codeblocks:cont-->\n" if cont else ""
    return (
        f'{marker}<div class="language-{lang} highlight"><pre><span></span><code>'
        f"<span>{code}</span></code></pre></div>\n"
    )


def test_blocks_are_numbered_chained_and_told_why_they_cannot_run():
    page = (
        block("python", "x = 1")
        + block("python", "print(x)", cont=True)
        + block("text", "1")
        + block("python", "from nn.plot import plot_history")
        + block("python", "print(2)", cont=True)  # continues a block that cannot run
        + '<h2 id="nn.functions.softmax" class="doc doc-heading">softmax</h2>'
        + block("pycon", "&gt;&gt;&gt; softmax([0.0])")
    )
    marked = pyodide.on_page_content(page, "zh")
    python = [
        dict(re.findall(r'(data-nn-\w+)="([^"]*)"', attrs))
        for attrs in re.findall(r'<div class="language-py(?:thon|con) highlight"([^>]*)>', marked)
    ]
    chains = [(a["data-nn-block"], a["data-nn-chain"]) for a in python]
    assert chains == [("0", "0"), ("1", "0"), ("2", "2"), ("3", "2"), ("4", "4")]
    assert "matplotlib" in python[2]["data-nn-norun"] and "浏览器" in python[2]["data-nn-norun"]
    assert python[3]["data-nn-norun"] == python[2]["data-nn-norun"]
    assert "data-nn-norun" not in python[0] and "data-nn-norun" not in python[4]
    assert 'data-nn-object="nn.functions.softmax"' in marked
    assert marked.count("data-nn-block") == 5, "the text block is not a Python block"


def test_a_smaller_setting_and_what_webassembly_cannot_do_are_said_beside_the_button():
    page = (
        "<p><!--pytest-codeblocks:cont-->\n</p>"  # inside an admonition: in a paragraph
        + block("python", "x = 0")
        + "<!--run-in-browser: fit(50) => fit(20)-->\n"
        + block("python", "history = trainer.fit(50)")
        + block("python", "print(history)", cont=True)
        + block("python", "with np.errstate(over=&quot;raise&quot;):\n    np.exp(1.0)")
        + block(
            "python",
            "with np.errstate(over=&quot;raise&quot;):\n    try:\n        np.exp(1000.0)\n"
            "    except FloatingPointError as e:\n        print(e)",
        )
        + block("python", "try:\n    trainer.fit(5)\nexcept FloatingPointError:\n    pass")
    )
    marked = pyodide.on_page_content(page, "en")
    python = [
        dict(re.findall(r'(data-nn-\w+)="([^"]*)"', attrs))
        for attrs in re.findall(r'<div class="language-python highlight"([^>]*)>', marked)
    ]
    assert [a["data-nn-chain"] for a in python] == ["0", "1", "1", "3", "4", "5"]
    assert (python[1]["data-nn-page"], python[1]["data-nn-browser"]) == ("fit(50)", "fit(20)")
    assert "&lt;code&gt;fit(20)&lt;/code&gt; in place of" in python[1]["data-nn-note"]
    assert "continues a block that runs with a smaller setting" in python[2]["data-nn-note"]
    assert "data-nn-note" not in python[3], "no overflow to notice: it prints the same"
    assert "floating-point error flags" in python[4]["data-nn-note"]
    assert "data-nn-note" not in python[5], "the Trainer's own FloatingPointError is raised"
    assert "data-nn-note" not in python[0]
    wrong = "<!--run-in-browser: fit(9) => fit(1)-->" + block("python", "x")
    with pytest.raises(ValueError, match=re.escape("'fit(9)' is not in the block")):
        pyodide.on_page_content(wrong, "en")
