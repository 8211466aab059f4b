"""Test helpers: an embedded sogod configuration, in-process and as a daemon."""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SOGOD = [sys.executable, "-m", "sogod.server.cli"]


def basic(login: str, password: str) -> dict:
    token = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def embedded_config(directory: Path, extra_users=(), conf_extra: str = "") -> Path:
    """Generate the embedded default in ``directory``; add users (uid, password, cn, mail)."""
    from sogod.auth.embedded_users import EmbeddedUsers
    from sogod.config import load_system_defaults
    from sogod.server.embedded import prepare_embedded
    from sogod.server.settings import CommandLine
    from sogod.store import database
    cmd = prepare_embedded(CommandLine(embedded_dir=str(directory)))
    path = Path(cmd.config_path)
    if conf_extra:
        text = path.read_text()
        head, _, _ = text.rpartition("}")
        path.write_text(head + conf_extra + "\n}\n")
    users = EmbeddedUsers(load_system_defaults(str(path), {}).get("SOGodEmbeddedUsersURL"))
    for uid, password, cn, mail in extra_users:
        users.add(uid, password, cn=cn, mail=mail)
    database.dispose_all()
    return path


def unprivileged_dir() -> Path:
    """A fresh directory the daemon's user can write: as root, owned by nobody."""
    import tempfile
    path = Path(tempfile.mkdtemp(prefix="sogod-test-"))
    path.chmod(0o755)
    return path


def hand_over(path: Path) -> None:
    """As root, give ``path`` and what is in it to nobody, who runs the test daemon."""
    if os.geteuid() != 0:
        return
    import pwd
    nobody = pwd.getpwnam("nobody")
    for item in [path, *path.rglob("*")]:
        os.chown(item, nobody.pw_uid, nobody.pw_gid)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_title(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\x00", b" ").decode().strip()
    except OSError:
        return ""


def children_of(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry.name))
    return kids


class Daemon:
    """sogod started as a real process, in the foreground, logging to a file."""

    def __init__(self, config: Path, *args: str, port: int | None = None, log_file: Path | None = None,
                 single: bool = False):
        self.config = config
        self.single = single
        self.port = port or free_port()
        self.log_file = log_file or config.parent / "sogod.log"
        self.pid_file = config.parent / "sogod.pid"
        self.args = ["--config", str(config), "-WOPort", f"127.0.0.1:{self.port}",
                     "-WONoDetach", "YES", "-WOLogFile", str(self.log_file),
                     "-WOPidFile", str(self.pid_file), *args]
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20, as_root: bool = False) -> "Daemon":
        # As root, the daemon runs as nobody unless a test is about root itself.
        user = "nobody" if os.geteuid() == 0 and not as_root else None
        if user:
            hand_over(self.config.parent)
        self.proc = subprocess.Popen(SOGOD + self.args, cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, user=user)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sogod exited with {self.proc.returncode}: {self.proc.stdout.read()}\n{self.log()}")
            if (self.single or self.workers()) and self._accepting():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"sogod did not start in {timeout}s:\n{self.log()}")

    def _accepting(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def workers(self) -> list[int]:
        return [p for p in children_of(self.proc.pid) if "sogod: worker" in process_title(p)]

    def wait_workers(self, count: int, timeout: float = 20, exclude=()) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            workers = [p for p in self.workers() if p not in exclude]
            if len(workers) == count:
                return workers
            time.sleep(0.1)
        raise AssertionError(f"expected {count} workers, have {self.workers()}\n{self.log()}")

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def request(self, method: str, path: str, auth=("demo", "demo"), **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if auth:
            headers.update(basic(*auth))
        return requests.request(method, self.url + path, headers=headers, timeout=kwargs.pop("timeout", 30), **kwargs)

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 30) -> int:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else 0

    def __enter__(self):
        return self if self.proc else self.start()

    def __exit__(self, *exc):
        self.stop()
