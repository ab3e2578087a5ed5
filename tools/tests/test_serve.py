"""tools/serve.py (`python3 .ci/dev.py serve`): the address it prints answers, and stopping it frees
the port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVING = "Serving the site on "


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes_serving(port: int) -> list[int]:
    """The PIDs whose command line serves on `port` (mkdocs and anything it started)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:  # not a process, or gone meanwhile
            continue
        if f"127.0.0.1:{port}".encode() in args and b"serve" in args:
            found.append(int(proc.name))
    return found


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class Serve:
    """tools/serve.py on `port`, in a process group of its own, as a terminal would start it."""

    def __init__(self, port: int) -> None:
        self.port = port
        env = {**os.environ, "NN_SERVE_PORT": str(port)}
        self.proc = subprocess.Popen(
            [sys.executable, "tools/serve.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.answered: dict[str, int | str] = {}
        self.serving = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)
            if line.startswith(SERVING) and not self.serving.is_set():
                url = line.removeprefix(SERVING).split()[0]
                # Right when the address is printed, it must answer.
                try:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        self.answered[url] = response.status
                except OSError as exc:
                    self.answered[url] = repr(exc)
                self.serving.set()

    def output(self) -> str:
        return "".join(self.lines)

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.reader.join(timeout=5)
        self.proc.stdout.close()


def test_serve_prints_an_address_that_answers_and_frees_the_port_when_stopped():
    # Ctrl-C reaches the terminal's foreground group (SIGINT); `kill PID` sends SIGTERM.
    stops = {
        "SIGINT to the group": lambda p: os.killpg(p.pid, signal.SIGINT),
        "SIGTERM to serve.py": lambda p: p.send_signal(signal.SIGTERM),
    }
    serves = {how: Serve(_free_port()) for how in stops}
    try:
        for how, serve in serves.items():
            assert serve.serving.wait(120), f"{how}: no address printed\n{serve.output()}"
            assert list(serve.answered.values()) == [200], (serve.answered, serve.output())
            assert _processes_serving(serve.port), f"no mkdocs found on {serve.port}"
        for how, serve in serves.items():
            stops[how](serve.proc)
        for how, serve in serves.items():
            code = serve.proc.wait(timeout=20)
            assert code in (130, 128 + signal.SIGTERM), f"{how}: exit {code}\n{serve.output()}"
            deadline = time.monotonic() + 5
            while _processes_serving(serve.port) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _processes_serving(serve.port), f"{how}: mkdocs still runs"
            assert _port_is_free(serve.port), f"{how}: port {serve.port} is still held"
    finally:
        for serve in serves.values():
            serve.close()
        for pid in [pid for s in serves.values() for pid in _processes_serving(s.port)]:
            os.kill(pid, signal.SIGKILL)
