"""The README's two commands, with nothing but python3 and git: the rest is noxfile.py's.

    python3 .ci/dev.py serve   # the site on http://127.0.0.1:8000/nn/ (or the next free port)
    python3 .ci/dev.py test    # every session of noxfile.py but serve, in two lanes at once

The first run puts nox and uv into .venv/ (a few seconds); nox makes each session's
environment in .nox/ with uv and keeps it. Arguments after `test` go to nox instead, e.g.
`python3 .ci/dev.py test -s tests -- tests/test_layers.py`.
"""

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOX = ROOT / ".venv" / "bin" / "nox"
TOOLS = ["nox==2026.10.20", "uv==0.13.9"]
# Two lanes, one per core, of about the same length: the real browser (Chromium takes more
# than one core while it renders) in one, everything else in the other.
LANES = [["site"], ["lint", "tests", "wheel", "tools", "notebooks"]]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test"):
        print(__doc__)
        return 2
    if sys.version_info < (3, 11):  # noqa: UP036 (this script runs before any venv exists)
        sys.exit(f"nn needs Python 3.11 or newer; this python3 is {sys.version.split()[0]}")
    if not NOX.exists():
        print(f"First run: installing {' and '.join(TOOLS)} into .venv/ ...", flush=True)
        venv.create(ROOT / ".venv", with_pip=True)
        pip = [ROOT / ".venv" / "bin" / "python", "-m", "pip", "install", "--quiet", *TOOLS]
        subprocess.run(pip, check=True)
    if argv[0] == "serve":
        return subprocess.run([NOX, "-s", "serve", "--", *argv[1:]], cwd=ROOT).returncode
    if len(argv) > 1:
        return subprocess.run([NOX, *argv[1:]], cwd=ROOT).returncode
    # One BLAS thread per lane: two lanes on two cores, and NumPy's threads slow down many times
    # when another process keeps the other core busy.
    env = {
        **os.environ,
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    lanes = [subprocess.Popen([NOX, "-s", *lane], cwd=ROOT, env=env) for lane in LANES]
    codes = [lane.wait() for lane in lanes]
    for lane, code in zip(LANES, codes, strict=True):
        print(f"{' '.join(lane)}: {'passed' if code == 0 else f'FAILED (exit {code})'}")
    return max(codes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
