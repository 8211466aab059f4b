"""End to end: vdirsyncer two-way sync of a calendar with the started daemon, with a conflict."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .sogod_env import Daemon, embedded_config, unprivileged_dir

pytestmark = pytest.mark.daemon

VDIRSYNCER = Path(sys.executable).with_name("vdirsyncer")
CAL = "/SOGo/dav/demo/Calendar/personal/"

EVENT = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20260101T000000Z\r
DTSTART:20260301T100000Z\r
DTEND:20260301T110000Z\r
SUMMARY:{summary}\r
END:VEVENT\r
END:VCALENDAR\r
"""

CONFIG = """[general]
status_path = "{status}"

[pair cal]
a = "local"
b = "sogod"
collections = null
{resolution}

[storage local]
type = "filesystem"
path = "{local}"
fileext = ".ics"

[storage sogod]
type = "caldav"
url = "{url}"
username = "demo"
password = "demo"
"""


@pytest.fixture(scope="module")
def server():
    if not VDIRSYNCER.exists():
        pytest.fail("vdirsyncer is not installed in the venv (make test installs the test extra)")
    directory = unprivileged_dir()
    daemon = Daemon(embedded_config(directory)).start()
    yield daemon
    daemon.stop()
    shutil.rmtree(directory, ignore_errors=True)


def vdirsyncer(tmp_path: Path, server, *args: str, resolution: str = "") -> subprocess.CompletedProcess:
    config = tmp_path / "config"
    config.write_text(CONFIG.format(status=tmp_path / "status", local=tmp_path / "local",
                                    url=server.url + CAL, resolution=resolution))
    (tmp_path / "local").mkdir(exist_ok=True)
    return subprocess.run([str(VDIRSYNCER), "-c", str(config), *args], capture_output=True, text=True,
                          timeout=120, input="")


def put(server, name: str, body: str, **headers):
    r = server.request("PUT", CAL + name, data=body.encode(),
                       headers={"Content-Type": "text/calendar", **headers})
    assert r.status_code in (201, 204), r.text
    return r


def server_summary(server, name: str) -> str:
    r = server.request("GET", CAL + name)
    assert r.status_code == 200, r.text
    return next(line.split(":", 1)[1] for line in r.text.splitlines() if line.startswith("SUMMARY:"))


def local_files(tmp_path: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in (tmp_path / "local").glob("*.ics")}


def test_two_way_sync_and_conflict(tmp_path, server):
    put(server, "from-server.ics", EVENT.format(uid="from-server", summary="Server side"))
    r = vdirsyncer(tmp_path, server, "discover")
    assert r.returncode == 0, r.stdout + r.stderr
    r = vdirsyncer(tmp_path, server, "sync")
    assert r.returncode == 0, r.stdout + r.stderr
    files = local_files(tmp_path)
    assert any("SUMMARY:Server side" in text for text in files.values()), files

    # Local to server.
    (tmp_path / "local" / "from-local.ics").write_text(EVENT.format(uid="from-local", summary="Local side"))
    r = vdirsyncer(tmp_path, server, "sync")
    assert r.returncode == 0, r.stdout + r.stderr
    report = server.request("PROPFIND", CAL, headers={"Depth": "1"})
    assert "from-local" in report.text

    # Both sides change the same event: vdirsyncer sees the conflict...
    local_name = next(n for n, text in local_files(tmp_path).items() if "UID:from-server" in text)
    (tmp_path / "local" / local_name).write_text(EVENT.format(uid="from-server", summary="Changed locally"))
    put(server, "from-server.ics", EVENT.format(uid="from-server", summary="Changed on the server"))
    r = vdirsyncer(tmp_path, server, "sync")
    assert r.returncode != 0
    assert "conflict" in (r.stdout + r.stderr).lower(), r.stdout + r.stderr
    assert server_summary(server, "from-server.ics") == "Changed on the server"

    # ...and resolves it when told which side wins; the server's If-Match update goes through.
    r = vdirsyncer(tmp_path, server, "sync", resolution='conflict_resolution = "a wins"')
    assert r.returncode == 0, r.stdout + r.stderr
    assert server_summary(server, "from-server.ics") == "Changed locally"

    # A deletion on the server reaches the local side.
    assert server.request("DELETE", CAL + "from-server.ics").status_code == 204
    r = vdirsyncer(tmp_path, server, "sync")
    assert r.returncode == 0, r.stdout + r.stderr
    assert not any("UID:from-server" in text for text in local_files(tmp_path).values())
