"""The master process, started for real: workers, watchdog, memory, signals, logs."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from .sogod_env import ROOT, SOGOD, Daemon, basic, embedded_config, hand_over, process_title, unprivileged_dir

pytestmark = pytest.mark.daemon

PROPFIND_BODY = (b'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>'
                 b'<D:current-user-principal/><D:displayname/></D:prop></D:propfind>')


@pytest.fixture
def config():
    directory = unprivileged_dir()
    yield embedded_config(directory)
    shutil.rmtree(directory, ignore_errors=True)


def propfind(daemon, path="/SOGo/dav/demo/", auth=("demo", "demo"), **kw):
    return daemon.request("PROPFIND", path, auth=auth, data=PROPFIND_BODY,
                          headers={"Depth": "0", "Content-Type": "application/xml"}, **kw)


def test_workers_count_titles_and_pid_file(config):
    with Daemon(config, "-WOWorkersCount", "3") as daemon:
        workers = daemon.wait_workers(3)
        assert "sogod: master" in process_title(daemon.proc.pid)
        assert all("sogod: worker" in process_title(p) for p in workers)
        assert daemon.pid_file.read_text().strip() == str(daemon.proc.pid)
        assert propfind(daemon).status_code == 207


def test_sigterm_stops_gracefully_and_removes_pid_file(config):
    daemon = Daemon(config, "-WOWorkersCount", "2").start()
    workers = daemon.wait_workers(2)
    assert daemon.stop() == 0
    assert not daemon.pid_file.exists()
    for pid in workers:
        assert process_title(pid) == "" or "sogod" not in process_title(pid)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", daemon.port), timeout=1)


def test_worker_over_memory_limit_answers_then_is_replaced(config):
    # 1 MB: every Python worker is over it, so each one serves one request and is replaced.
    with Daemon(config, "-SxVMemLimit", "1", "-WOWorkersCount", "1") as daemon:
        first = daemon.wait_workers(1)
        assert propfind(daemon).status_code == 207
        second = daemon.wait_workers(1, exclude=first)
        assert propfind(daemon).status_code == 207
        daemon.wait_workers(1, exclude=first + second)
        assert "memory limit (1 MB) has been reached" in daemon.log()


def test_no_recycling_under_the_limit(config):
    with Daemon(config, "-SxVMemLimit", "2048", "-WOWorkersCount", "1") as daemon:
        worker = daemon.wait_workers(1)
        for _ in range(3):
            assert propfind(daemon).status_code == 207
        assert daemon.workers() == worker


def test_sighup_rereads_config_and_keeps_serving(config):
    with Daemon(config) as daemon:
        old = daemon.wait_workers(2)  # the embedded config asks for 2
        failures = []
        stop = threading.Event()

        def load():
            while not stop.is_set():
                try:
                    if propfind(daemon, timeout=10).status_code != 207:
                        failures.append("status")
                except requests.RequestException as exc:
                    failures.append(repr(exc))

        thread = threading.Thread(target=load)
        thread.start()
        time.sleep(0.5)
        config.write_text(config.read_text().replace("WOWorkersCount = 2;", "WOWorkersCount = 3;"))
        daemon.signal(signal.SIGHUP)
        new = daemon.wait_workers(3, exclude=old)
        deadline = time.monotonic() + 30        # old workers finish their request, then leave
        while set(daemon.workers()) != set(new) and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        thread.join()
        assert failures == []
        assert set(daemon.workers()) == set(new)
        assert "configuration reloaded" in daemon.log()


def test_sighup_with_broken_config_keeps_the_old_one(config):
    with Daemon(config) as daemon:
        daemon.wait_workers(2)
        config.write_text(config.read_text() + "\n{ broken")
        daemon.signal(signal.SIGHUP)
        time.sleep(1.5)
        assert daemon.proc.poll() is None
        assert propfind(daemon).status_code == 207
        assert re.search(r"configuration not reloaded.*line \d+", daemon.log())


def test_access_log_line_in_sogo_format(config):
    # No trusted proxy: the loopback peer is a client like any other.
    with Daemon(config, "-SOGodTrustedProxies", "()") as daemon:
        propfind(daemon)
        daemon.request("GET", "/SOGo/dav/demo/", auth=("demo", "wrong"),
                       headers={"X-Forwarded-For": "203.0.113.9"})
        time.sleep(0.3)
        log = daemon.log()
    line = r'^\w{3} [ \d]\d \d\d:\d\d:\d\d sogod \[\d+\]: 127\.0\.0\.1 "PROPFIND /SOGo/dav/demo/ HTTP/1\.1" 207 \d+/\d+ \d+\.\d{3} - - 0$'
    assert re.search(line, log, re.M), log
    # X-Forwarded-For from a peer that is not a trusted proxy is not believed.
    assert "203.0.113.9" not in log
    assert re.search(r'127\.0\.0\.1 "GET /SOGo/dav/demo/ HTTP/1\.1" 401', log)
    assert "wrong" not in log


def test_trusted_proxy_forwarded_address_is_logged(config):
    with Daemon(config) as daemon:
        daemon.request("GET", "/SOGo/", auth=None, headers={"X-Forwarded-For": "198.51.100.7"})
        time.sleep(0.3)
        assert re.search(r'198\.51\.100\.7 "GET /SOGo/ HTTP/1\.1" 200', daemon.log())


def test_stalled_client_is_cut_off(config):
    with Daemon(config, "-WOHttpAdaptorReceiveTimeout", "1") as daemon:
        sock = socket.create_connection(("127.0.0.1", daemon.port))
        sock.sendall(b"PROPFIND /SOGo/dav/demo/ HTTP/1.1\r\nHost: x\r\n")  # headers never end
        sock.settimeout(10)
        started = time.monotonic()
        data = sock.recv(100)
        assert data == b"" or data.startswith(b"HTTP/1.1 4")
        assert time.monotonic() - started < 8
        sock.close()
        # The worker is free again.
        assert propfind(daemon, timeout=5).status_code == 207


def test_hostile_requests_do_not_kill_workers(config):
    with Daemon(config) as daemon:
        workers = daemon.wait_workers(2)
        for auth in (b"", b"Authorization: Basic ZGVtbzpkZW1v\r\n"):
            with socket.create_connection(("127.0.0.1", daemon.port), timeout=10) as sock:
                sock.sendall(b"PUT /SOGo/dav/demo/Calendar/personal/x.ics HTTP/1.1\r\nHost: x\r\n" + auth +
                             b"Content-Type: text/calendar\r\nContent-Length: 1000000000000\r\n\r\nBEGIN")
                status = sock.recv(64).split(b"\r\n")[0]
            assert status.split()[1] in (b"400", b"401", b"413"), status
        for header in ("Basic AAAA", "Bearer abc", 'Digest username="demo"', "Basic", "Basic !!!"):
            r = daemon.request("PROPFIND", "/SOGo/dav/demo/", auth=None, headers={"Authorization": header})
            assert r.status_code == 401
            assert r.headers["WWW-Authenticate"] == 'basic realm="SOGo"'
        assert sorted(daemon.workers()) == sorted(workers)


def test_single_process_mode(config):
    with Daemon(config, "-WOUseWatchDog", "NO", single=True) as daemon:
        assert propfind(daemon).status_code == 207
        assert daemon.workers() == []
        assert propfind(daemon, auth=("demo", "bad")).status_code == 401


def run_sogod(args, directory, timeout=60):
    """sogod in the foreground of the test, as nobody when the tests run as root."""
    hand_over(directory)
    return subprocess.run(SOGOD + args, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          user="nobody" if os.geteuid() == 0 else None)


def test_daemonizes_unless_no_detach(config):
    port = Daemon(config).port
    log = config.parent / "detached.log"
    pid_file = config.parent / "detached.pid"
    result = run_sogod(["--config", str(config), "-WOPort", f"127.0.0.1:{port}",
                        "-WOLogFile", str(log), "-WOPidFile", str(pid_file), "-WONoDetach", "NO"],
                       config.parent, timeout=30)
    assert result.returncode == 0
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not pid_file.exists():
        time.sleep(0.1)
    pid = int(pid_file.read_text())
    try:
        assert "sogod: master" in process_title(pid)
        r = requests.request("PROPFIND", f"http://127.0.0.1:{port}/SOGo/dav/demo/",
                             headers={**basic("demo", "demo"), "Depth": "0"}, timeout=10)
        assert r.status_code == 207
    finally:
        import os
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and pid_file.exists():
        time.sleep(0.1)
    assert not pid_file.exists()


@pytest.mark.parametrize("text, message", [
    ("{ WOPort = 127.0.0.1:1;\n  WOWorkersCount = ;\n}", r"line 2"),
    ("{ WOWorkersCount = three; }", r"line 1.*WOWorkersCount"),
    ("{ SOGoProfileURL = \"oracle://u:secretpw@h/db/sogo_user_profile\";\n"
     "  OCSFolderInfoURL = \"oracle://u:secretpw@h/db/t\"; }", r"oracle"),
])
def test_bad_configuration_is_a_clear_message(text, message):
    conf = unprivileged_dir() / "sogo.conf"
    conf.write_text(text)
    result = run_sogod(["--config", str(conf), "-WONoDetach", "YES", "-WOLogFile", "-"], conf.parent)
    assert result.returncode == 1
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "secretpw" not in result.stderr


def test_unreachable_database_is_a_clear_message():
    conf = unprivileged_dir() / "sogo.conf"
    port = Daemon(conf).port  # nothing listens there
    conf.write_text(f'{{ OCSFolderInfoURL = "postgresql://sogo:secretpw@127.0.0.1:{port}/sogo/sogo_folder_info";\n'
                    f'   SOGoProfileURL = "postgresql://sogo:secretpw@127.0.0.1:{port}/sogo/sogo_user_profile"; }}')
    result = run_sogod(["--config", str(conf), "-WONoDetach", "YES", "-WOLogFile", "-"], conf.parent)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "secretpw" not in result.stderr
    assert "127.0.0.1" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful when the tests run as root")
def test_as_root_workers_run_as_sogod_user(config):
    hand_over(config.parent)
    with Daemon(config, "-SOGodUser", "nobody").start(as_root=True) as daemon:
        workers = daemon.wait_workers(2)
        uids = {int(Path(f"/proc/{p}/status").read_text().split("Uid:")[1].split()[0]) for p in workers}
        assert uids == {pwd.getpwnam("nobody").pw_uid}
        assert propfind(daemon).status_code == 207


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful when the tests run as root")
def test_as_root_without_the_account_refuses(config):
    result = subprocess.run(SOGOD + ["--config", str(config), "-SOGodUser", "no-such-account",
                                     "-WONoDetach", "YES", "-WOLogFile", "-"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "no-such-account" in result.stderr and "root" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful when the tests run as root")
def test_as_root_embedded_mode_runs_with_a_warning():
    directory = unprivileged_dir()
    port = Daemon(directory / "sogo.conf").port
    proc = subprocess.Popen(SOGOD + ["--embedded", str(directory), "-WOPort", f"127.0.0.1:{port}",
                                     "-SOGodUser", "no-such-account"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                r = requests.request("PROPFIND", f"http://127.0.0.1:{port}/SOGo/dav/demo/",
                                     headers={**basic("demo", "demo"), "Depth": "0"}, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert r.status_code == 207
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert "root" in output and "warning" in output.lower()


def test_hung_request_is_killed_by_the_watchdog(postgresql_server):
    # A real hang: the user source is a view whose every read sleeps in PostgreSQL.
    db = postgresql_server.new_database()
    db.execute_script(
        "CREATE TABLE sogo_users (c_uid VARCHAR(255) PRIMARY KEY, c_name VARCHAR(255), c_password VARCHAR(255),"
        " c_cn VARCHAR(255), mail VARCHAR(255));"
        "INSERT INTO sogo_users VALUES ('slow', 'slow', 'pw', 'Slow', 'slow@example.com');"
        "CREATE VIEW slow_users AS SELECT u.* FROM sogo_users u, (SELECT pg_sleep(30)) s;")
    directory = unprivileged_dir()
    config = directory / "sogo.conf"
    config.write_text(f"""{{
      SOGoProfileURL = "sqlite://{directory}/sogo.db/sogo_user_profile";
      OCSFolderInfoURL = "sqlite://{directory}/sogo.db/sogo_folder_info";
      SOGoUserSources = ({{ type = sql; id = slow; viewURL = "{db.url('slow_users')}";
                            canAuthenticate = YES; userPasswordAlgorithm = plain; }});
    }}""")
    # 0.05 minutes = 3 seconds.
    with Daemon(config, "-WOWorkersCount", "1", "-WOWatchDogRequestTimeout", "0.05") as daemon:
        old = daemon.wait_workers(1)
        started = time.monotonic()
        with pytest.raises(requests.ConnectionError):
            propfind(daemon, auth=("slow", "pw"), timeout=25)
        assert time.monotonic() - started < 15
        daemon.wait_workers(1, exclude=old)
        assert daemon.proc.poll() is None
        assert "WORKER TIMEOUT" in daemon.log()
        # The replacement serves requests (the unauthenticated 401 needs no source).
        assert propfind(daemon, auth=None).status_code == 401


def test_workers_share_verified_credentials_through_memcached(config, memcached_server):
    from sogod.cache import MemcachedCache, parse_servers
    with Daemon(config, "-SOGoMemcachedHost", memcached_server.address) as daemon:
        assert propfind(daemon).status_code == 207
        cache = MemcachedCache(parse_servers(memcached_server.address))
        entry = cache.get("sogod:cred:demo")
        assert entry and '"uid": "demo"' in entry
        assert '"demo"' not in entry.split('"user"')[0]   # salt and hash only, no password
        assert propfind(daemon, auth=("demo", "wrong")).status_code == 401


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful when the tests run as root")
def test_as_root_embedded_mode_hands_its_directory_to_the_worker_account():
    directory = unprivileged_dir() / "var"
    port = Daemon(directory / "sogo.conf").port
    proc = subprocess.Popen(SOGOD + ["--embedded", str(directory), "-WOPort", f"127.0.0.1:{port}",
                                     "-SOGodUser", "nobody"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                r = requests.request("PUT", f"http://127.0.0.1:{port}/SOGo/dav/demo/Calendar/personal/e.ics",
                                     headers={**basic("demo", "demo"), "Content-Type": "text/calendar"},
                                     data=b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
                                          b"UID:e\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\n"
                                          b"END:VEVENT\r\nEND:VCALENDAR\r\n", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert r.status_code == 201          # the SQLite file is writable by the workers
        assert (directory / "sogo.db").stat().st_uid == pwd.getpwnam("nobody").pw_uid
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
