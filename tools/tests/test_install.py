"""Every install line the site prints works as written, today, in a fresh virtual environment.

Getting started tells a learner to download the wheel the site serves and to run two lines in
the folder they saved it to; in a checkout, to run two lines there. Here the built site is
served on 127.0.0.1, the wheel is downloaded from the page's own link, and each block of lines
runs as written, with bash, in an empty folder (or a copy of the checkout): then the new
environment must import nn (from itself, not from the checkout) and the `train` extra's
packages. No line may name an address that does not exist (a placeholder GitHub repository)
or somebody else's package (`nn` on PyPI). pip fetches NumPy and matplotlib from the package
index, as it does for a learner.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest

from tools.site.config import DOCS, ROOT
from tools.site.wheel import source_files, wheel_name

INSTALL_HEADING = {"en": "Install", "zh": "安装"}


class InstallSection(HTMLParser):
    """The download links and console blocks between the Install heading and the next one."""

    def __init__(self, heading: str) -> None:
        super().__init__()
        self.heading, self.inside, self.in_h2 = heading, False, False
        self.h2_text = ""
        self.links: list[str] = []
        self.blocks: list[str] = []
        self._code: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self.in_h2, self.h2_text = True, ""
        elif self.inside and tag == "a" and "download" in dict(attrs):
            self.links.append(dict(attrs)["href"] or "")
        elif self.inside and tag == "code":
            self._code = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self.in_h2 = False
            self.inside = self.h2_text.strip().startswith(self.heading)
        elif tag == "code" and self._code is not None:
            self.blocks.append("".join(self._code))
            self._code = None

    def handle_data(self, data: str) -> None:
        if self.in_h2:
            self.h2_text += data
        elif self._code is not None:
            self._code.append(data)


def install_section(server: str, language: str) -> tuple[str, InstallSection]:
    url = server + ("zh/" if language == "zh" else "") + "getting-started/"
    with urllib.request.urlopen(url, timeout=10) as response:
        html = response.read().decode("utf-8")
    section = InstallSection(INSTALL_HEADING[language])
    section.feed(html)
    return url, section


def console_blocks(section: InstallSection) -> list[list[str]]:
    """The console blocks of the section (its inline code spans have no line break), as lines."""
    return [b.strip().splitlines() for b in section.blocks if "\n" in b.strip() or "venv" in b]


def run_lines(lines: list[str], cwd: Path) -> None:
    script = "set -euo pipefail\n" + "\n".join(lines) + "\n"
    proc = subprocess.run(
        ["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, f"in {cwd}:\n{script}\n--- stdout\n{proc.stdout}\n{proc.stderr}"


def imports_nn_from_itself(venv: Path, cwd: Path) -> None:
    code = "import nn, matplotlib, tqdm; print(nn.__file__); print(nn.TwoLayerNet.__name__)"
    proc = subprocess.run(
        [venv / "bin" / "python", "-c", code], cwd=cwd, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    where, name = proc.stdout.split()
    assert Path(where).is_relative_to(venv) or Path(where).resolve().is_relative_to(cwd), where
    assert name == "TwoLayerNet"


@pytest.mark.parametrize("language", ["en", "zh"])
def test_getting_started_links_the_wheel_the_site_serves(server, site, language):
    url, section = install_section(server, language)
    wheels = [link for link in section.links if link.endswith(".whl")]
    assert [Path(w).name for w in wheels] == [wheel_name()], section.links
    with urllib.request.urlopen(urljoin(url, wheels[0]), timeout=10) as response:
        served = response.read()
    assert served == (site / wheel_name()).read_bytes()
    blocks = console_blocks(section)
    assert len(blocks) == 2, blocks  # the wheel, a checkout
    assert any(wheel_name() in line for line in blocks[0]), blocks[0]


def test_the_wheel_installs_as_the_page_says(server, tmp_path):
    url, section = install_section(server, "en")
    (wheel,) = [link for link in section.links if link.endswith(".whl")]
    with urllib.request.urlopen(urljoin(url, wheel), timeout=10) as response:
        (tmp_path / Path(wheel).name).write_bytes(response.read())
    run_lines(console_blocks(section)[0], tmp_path)
    imports_nn_from_itself(tmp_path / ".venv", tmp_path)


def test_a_checkout_installs_as_the_page_says(server, tmp_path):
    """In a copy of the checkout with the files a clone has (no build leftovers)."""
    _, section = install_section(server, "en")
    checkout = tmp_path / "nn"
    for name in source_files():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, checkout / name)
    run_lines(console_blocks(section)[1], checkout)
    imports_nn_from_itself(checkout / ".venv", checkout)


def test_the_readme_names_the_wheel_the_site_serves():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f'pip install "{wheel_name()}[train]"' in readme


def test_no_install_line_names_a_placeholder_or_another_package():
    """The README, the pages and the notebooks' first cell (tools/site/notebooks.py)."""
    texts = [ROOT / "README.md", ROOT / "tools" / "site" / "notebooks.py"]
    texts += sorted(DOCS.rglob("*.md")) + sorted((ROOT / "nn").rglob("*.py"))
    for path in texts:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "pip install" not in line:
                continue
            where = f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            assert "git+https://github.com/nn-from-scratch" not in line, where
            assert not re.search(r"install ['\"]?nn(\[|['\"]?(\s|$))", line), where
