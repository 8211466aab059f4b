"""Requests/s of an authenticated PROPFIND on a principal whose user lives in LDAP.

Starts a throwaway slapd (tests/ldap_server.py: the test directory) and sogod
(embedded default, SQLite) whose only user source is ``type = ldap`` (indirect
bind over ``uid``), then drives PROPFIND /SOGo/dav/alice/ (Depth 0, Basic auth)
from several client processes, one connection per request:

  cold   the verified-credential cache disabled (CredentialCache.check always
         misses, patched into the daemon at start): every request binds to slapd
  warm   the credential cache as shipped: the first request binds, the rest
         are answered from the cache

    .venv/bin/python bench/ldap_auth.py [--seconds 10] [--clients 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import multiprocessing
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tests.sogod_env as sogod_env  # noqa: E402
from bench import propfind_principal as bench  # noqa: E402
from bench.loadgen import fan_out, summary  # noqa: E402
from tests.ldap_server import BIND_DN, BIND_PASSWORD, LDAPServer  # noqa: E402

USER, PASSWORD = "alice", "alice-pw"
COLD = ("import runpy, sogod.auth.credcache as c; c.CredentialCache.check = lambda *a: None; "
        "runpy.run_module('sogod.server.cli', run_name='__main__')")


def ldap_config(directory: Path, url: str) -> Path:
    config = sogod_env.embedded_config(directory)
    source = f"""SOGoUserSources = (
    {{
      type = ldap; id = people; hostname = "{url}"; baseDN = "ou=users,dc=example,dc=com";
      bindDN = "{BIND_DN}"; bindPassword = "{BIND_PASSWORD}"; bindFields = (uid);
      CNFieldName = cn; IDFieldName = uid; UIDFieldName = uid;
      canAuthenticate = YES; isAddressBook = NO; displayName = "People";
    }}
  );"""
    text = re.sub(r"SOGoUserSources = \(.*?\n  \);", lambda _m: source, config.read_text(), flags=re.S)
    config.write_text(text)
    return config


def run(url: str, mode: str, workers: int, seconds: float, clients: int) -> dict:
    bench.HEADERS["Authorization"] = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    with tempfile.TemporaryDirectory() as tmp:
        config = ldap_config(Path(tmp), url)
        saved = sogod_env.SOGOD
        if mode == "cold":
            sogod_env.SOGOD = [sys.executable, "-c", COLD]
        try:
            daemon = sogod_env.Daemon(config, "-WOWorkersCount", str(workers), "-WOListenQueueSize", "128")
            with daemon:
                daemon.wait_workers(workers)
                return _drive(daemon, mode, workers, seconds, clients)
        finally:
            sogod_env.SOGOD = saved


def _drive(daemon, mode, workers, seconds, clients) -> dict:
    _client(daemon.port, 1.0, multiprocessing.Queue())             # warm up (and fill the cache)
    latencies, errors = fan_out(_client, (daemon.port, seconds), clients)
    return {"mode": mode, "workers": workers, **summary(latencies, errors, seconds)}


def _client(port, seconds, queue):
    """bench/propfind_principal.py's client, on the LDAP user's principal."""
    original = http.client.HTTPConnection.request

    def request(self, method, path, *args, **kwargs):
        return original(self, method, path.replace("/demo/", f"/{USER}/"), *args, **kwargs)
    http.client.HTTPConnection.request = request
    try:
        bench.client(port, seconds, queue)
    finally:
        http.client.HTTPConnection.request = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    server = LDAPServer()
    server.start()
    try:
        print(f"PROPFIND /SOGo/dav/{USER}/ (Depth 0, Basic auth, LDAP source with indirect bind), "
              f"{args.clients} client processes, {args.workers} workers, {args.seconds:.0f} s each, "
              f"{multiprocessing.cpu_count()} CPUs")
        print(f"{'cache':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
        for mode in ("cold", "warm"):
            r = run(server.url, mode, args.workers, args.seconds, args.clients)
            print(f"{r['mode']:>6} {r['req_per_s']:>8.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['errors']:>6}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
