"""Serve the site with live reload: `mkdocs serve` on the first free port from 8000 (nox -s serve).

    python3 .ci/dev.py serve      # or: .venv/bin/nox -s serve -- [mkdocs serve options]

It prints the address once the site answers, and Ctrl-C (or SIGTERM) stops mkdocs and every
process it started, so the port is free again. NN_SERVE_PORT sets the first port to try.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port(first: int = 8000, tries: int = 20) -> int:
    """The first port from `first` on that nothing listens on, so a second serve still starts."""
    for port in range(first, first + tries):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit(f"ports {first}-{first + tries - 1} are all in use")


def serve(argv: list[str]) -> int:
    """`mkdocs serve`: print the address once it answers; stop it, and all it started, on exit.

    mkdocs runs in a process group of its own, so that Ctrl-C or a SIGTERM to this script
    reaches every process it started (its file watcher and the server holding the port) and
    the port is free again when this script ends.
    """
    addr = f"127.0.0.1:{free_port(int(os.environ.get('NN_SERVE_PORT', '8000')))}"
    url = f"http://{addr}/nn/"  # mkdocs serves under site_url's path (/nn/), as GitHub Pages will
    print(f"Building the site, then serving it on {addr} (the first build takes about 15 s) ...")
    cmd = [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", addr, *argv]
    child = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)

    def stop(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt if signum == signal.SIGINT else SystemExit(128 + signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, stop)
    try:
        while child.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=1):
                    break
            except urllib.error.HTTPError:  # it answers, if not with the page
                break
            except OSError:  # not listening yet: mkdocs builds the site first
                time.sleep(0.3)
        if child.poll() is None:
            print(f"Serving the site on {url} (English) and {url}zh/ (中文). Ctrl-C stops it.")
            print(flush=True)
        return child.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        stop_group(child)


def stop_group(child: subprocess.Popen, grace: float = 5) -> None:
    """End `child` and every process of its group: SIGTERM, then SIGKILL after `grace` s.

    Not SIGINT: a process started from a non-interactive shell's background job ignores it.
    """
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(child.pid, sig)
        except ProcessLookupError:  # the group is gone
            break
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # The leader has gone; a straggler of its group may still hold the port.
        try:
            os.killpg(child.pid, 0)
        except ProcessLookupError:
            break


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1:]))
