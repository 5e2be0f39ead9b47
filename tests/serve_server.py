"""`placeopt serve` as the page's tests meet it: the real command in its own process, on a
free loopback port, asked over HTTP.

    with PageServer(tmp_path / "runs", "--jobs", "1") as server:
        server.client.get("/api/health")
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

REPOSITORY = Path(__file__).resolve().parents[1]
NORTHBRIDGE = REPOSITORY / "models" / "northbridge.xlsx"
BAD = REPOSITORY / "tests" / "data" / "bad"
FINISHED_WITHIN = 180.0  # seconds: a run of the examples on a busy two-core machine


class PageServer:
    """`placeopt serve --port 0 --data DATA ...`, started and stopped with `with`."""

    def __init__(self, data: Path, *options: str):
        self.data, self.options = data, options
        self.lines: list[str] = []
        self.url = self.token = ""

    def __enter__(self) -> PageServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.lines = []
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "placeopt", "serve", "--port", "0", "--data",
             str(self.data), *self.options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, text=True, env=env)
        said: queue.Queue[str] = queue.Queue()

        def read() -> None:
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))
                said.put(line)

        threading.Thread(target=read, daemon=True).start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                line = said.get(timeout=1)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            found = re.search(r"page is at (http://[^/\s]+/)(?:\?token=(\S+))?", line)
            if found:
                self.url, self.token = found[1], found[2] or ""
                self.client = httpx.Client(base_url=self.address(), timeout=60)
                return
        self.process.kill()
        raise AssertionError("placeopt serve did not start:\n" + "\n".join(self.lines))

    def address(self) -> str:
        """The page's address as a client on this machine reaches it (loopback)."""
        port = self.url.rsplit(":", 1)[1].rstrip("/")
        return f"http://127.0.0.1:{port}"

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(60)
        finally:
            self.client.close()

    def submit(self, workbook: Path, **fields: str) -> str:
        with workbook.open("rb") as handle:
            answer = self.client.post("/api/runs", data=fields,
                                      files={"workbook": (workbook.name, handle)})
        assert answer.status_code == 202, answer.text
        return answer.json()["id"]

    def run(self, run_id: str) -> dict[str, Any]:
        answer = self.client.get(f"/api/runs/{run_id}")
        assert answer.status_code == 200, answer.text
        return answer.json()

    def wait(self, run_id: str, until: Any = None, within: float = FINISHED_WITHIN
             ) -> dict[str, Any]:
        """The run once `until(run)` holds (default: it has finished)."""
        until = until or (lambda run: run["status"] not in ("queued", "running"))
        deadline = time.monotonic() + within
        while True:
            run = self.run(run_id)
            if until(run):
                return run
            assert time.monotonic() < deadline, f"run {run_id} still {run['status']}: {run}"
            time.sleep(0.3)
