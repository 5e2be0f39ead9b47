"""A long `placeopt run`, with its progress logged as it runs (national runs, issue 17).

    python benchmarks/logged_run.py LOG -- WORKBOOK [placeopt run options]

Runs `placeopt run` in a child process and writes every progress line to LOG the moment
it comes, stamped with the seconds since the start and the child's resident memory
(from /proc) at that moment; every 30 s without a line, a line of memory alone. So a run
stopped by hand, or killed for memory, still leaves a record of where its time went. The
last line says how it ended, its wall time and the peak memory seen.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path


def resident_mib(pid: int) -> float:
    """The process's resident memory now, MiB (0 once it has gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main() -> None:
    if "--" not in sys.argv[2:3]:
        sys.exit(__doc__)
    log, args = Path(sys.argv[1]), sys.argv[3:]
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "placeopt", "run", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             bufsize=1)
    peak = [0.0]
    lock = threading.Lock()

    def write(text: str) -> None:
        memory = resident_mib(child.pid)
        peak[0] = max(peak[0], memory)
        with lock, log.open("a") as out:
            out.write(f"{time.monotonic() - started:8.1f} s {memory:8.0f} MiB  {text}\n")

    def beat() -> None:
        while child.poll() is None:
            time.sleep(30)
            write("(running)")

    threading.Thread(target=beat, daemon=True).start()
    assert child.stdout is not None
    for line in child.stdout:
        write(line.rstrip("\n"))
    code = child.wait()
    write(f"ended: exit {code}, {time.monotonic() - started:.1f} s, peak {peak[0]:,.0f} MiB "
          "(seen)")


if __name__ == "__main__":
    main()
