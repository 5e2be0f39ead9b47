"""Starting the page: bind the address, say where it is, serve until Ctrl-C."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import socket
import threading
import time
import webbrowser
from collections.abc import Callable
from pathlib import Path


class ServeError(Exception):
    """The page cannot start (the port is taken, the data folder cannot be written)."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free port), or ServeError in words."""
    address = "127.0.0.1" if host == "localhost" else host.strip("[]")
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48):  # EADDRINUSE on Linux, macOS
            raise ServeError(f"port {port} on {host} is in use (another placeopt serve?): "
                             "choose another with --port") from None
        raise ServeError(f"cannot listen on {host} port {port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def page_address(host: str, port: int, token: str | None) -> str:
    shown = host
    if host in ("0.0.0.0", "::", "[::]"):  # every interface: name the machine
        shown = socket.gethostname()
    elif ":" in host and not host.startswith("["):
        shown = f"[{host}]"
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def data_folder(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ServeError(f"the data folder {path} cannot be written: {exc.strerror}") from None
    return path.resolve()


def _silent(_message: str) -> None:
    pass


def serve(host: str = "127.0.0.1", port: int = 8765, data: Path = Path("placeopt-runs"),
          open_page: bool = False, token: str | None = None, jobs: int | None = None,
          say: Callable[[str], None] = print, quiet: bool = False) -> None:
    """Serve the page until Ctrl-C. Beyond loopback a token is required (made here unless
    given); runs take at most `jobs` cores (default: all of them). `quiet`: nothing is
    said but the page's address when it holds a token made here (no one knows it else)."""
    import uvicorn

    from ..version import __version__
    from .app import Settings, create_app

    made = token is None and not is_loopback(host)
    if made:
        token = secrets.token_urlsafe(24)
    if token is not None and not re.fullmatch(r"[A-Za-z0-9._~-]+", token):
        raise ServeError("the token may hold letters, digits and . _ ~ - only (it travels "
                         "in a cookie and a header); make it long, e.g. 32 characters")
    folder = data_folder(data)
    slots = jobs or os.cpu_count() or 1
    sock = bind(host, port)
    address = page_address(host, sock.getsockname()[1], token)
    app = create_app(Settings(folder, slots, token))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                           lifespan="on", timeout_graceful_shutdown=30))
    if quiet:
        if made:
            say(f"placeopt {__version__}: the planner's page is at {address}")
        say = _silent
    say(f"placeopt {__version__}: the planner's page is at {address}")
    if token:
        say(f"Every request needs the token (scripts: the header 'Authorization: Bearer "
            f"{token}').")
    say(f"Runs are kept in {folder}; {slots} at a time at most (one per core). Press Ctrl-C "
        "to stop.")
    if open_page:
        threading.Thread(target=_open_when_up, args=(server, address), daemon=True).start()
    server.run(sockets=[sock])


def _open_when_up(server: object, address: str) -> None:
    for _ in range(300):
        if getattr(server, "started", False):
            webbrowser.open(address)
            return
        time.sleep(0.1)
