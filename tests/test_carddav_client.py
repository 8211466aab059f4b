"""End to end: vdirsyncer syncing an address book two ways with the started daemon, conflicts included."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .sogod_env import Daemon, embedded_config, unprivileged_dir

pytestmark = pytest.mark.daemon

VDIRSYNCER = Path(sys.executable).with_name("vdirsyncer")
BOOK = "/SOGo/dav/demo/Contacts/personal/"

CONFIG = """[general]
status_path = "{base}/status/"

[pair contacts]
a = "server"
b = "local"
collections = null
{resolution}

[storage server]
type = "carddav"
url = "{url}"
username = "demo"
password = "demo"

[storage local]
type = "filesystem"
path = "{base}/local/"
fileext = ".vcf"
"""


def card(uid: str, fn: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{fn}\r\nN:{fn};;;;\r\nEMAIL:{uid}@example.org\r\nEND:VCARD\r\n"


@pytest.fixture(scope="module")
def server():
    if not VDIRSYNCER.exists():
        pytest.fail("vdirsyncer is not installed in the venv (make test installs the test extra)")
    directory = unprivileged_dir()
    config = embedded_config(directory)
    daemon = Daemon(config).start()
    yield daemon
    daemon.stop()
    shutil.rmtree(directory, ignore_errors=True)


def vdirsyncer(base: Path, *args: str, resolution: str = "") -> subprocess.CompletedProcess:
    (base / "config").write_text(CONFIG.format(base=base, url="{url}", resolution=resolution)
                                 .replace("{url}", base.joinpath("url").read_text()))
    env = {**os.environ, "HOME": str(base)}
    return subprocess.run([str(VDIRSYNCER), "-c", str(base / "config"), *args], env=env, input="y\n" * 5,
                          capture_output=True, text=True, timeout=120)


def local_cards(base: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in (base / "local").glob("*.vcf")}


def test_two_way_sync_with_conflict(server, tmp_path):
    (tmp_path / "local").mkdir()
    (tmp_path / "url").write_text(server.url + BOOK)
    put = server.request("PUT", BOOK + "srv1.vcf", data=card("srv1", "Server One"),
                         headers={"Content-Type": "text/vcard"})
    assert put.status_code == 201
    (tmp_path / "local" / "loc1.vcf").write_text(card("loc1", "Local One"))

    r = vdirsyncer(tmp_path, "discover")
    assert r.returncode == 0, r.stdout + r.stderr
    r = vdirsyncer(tmp_path, "sync")
    assert r.returncode == 0, r.stdout + r.stderr
    # both directions: the server card arrived locally, the local card on the server
    assert any("UID:srv1" in text for text in local_cards(tmp_path).values())
    listing = server.request("PROPFIND", BOOK, headers={"Depth": "1"})
    assert listing.status_code == 207 and "loc1" in listing.text

    # the same card changed on both sides: a conflict vdirsyncer reports without resolution
    local_srv1 = next(p for p in (tmp_path / "local").glob("*.vcf") if "UID:srv1" in p.read_text())
    local_srv1.write_text(card("srv1", "Changed Locally"))
    etag = server.request("GET", BOOK + "srv1.vcf").headers["ETag"]
    r = server.request("PUT", BOOK + "srv1.vcf", data=card("srv1", "Changed On Server"),
                       headers={"Content-Type": "text/vcard", "If-Match": etag})
    assert r.status_code == 204
    r = vdirsyncer(tmp_path, "sync")
    assert r.returncode != 0 and "conflict" in (r.stdout + r.stderr).lower()
    assert "Changed On Server" in server.request("GET", BOOK + "srv1.vcf").text

    # resolved with the server winning, then a deletion travels back
    r = vdirsyncer(tmp_path, "sync", resolution='conflict_resolution = "a wins"')
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Changed On Server" in local_srv1.read_text()
    local_srv1.unlink()
    r = vdirsyncer(tmp_path, "sync", resolution='conflict_resolution = "a wins"')
    assert r.returncode == 0, r.stdout + r.stderr
    assert server.request("GET", BOOK + "srv1.vcf").status_code == 404
