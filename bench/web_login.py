"""Requests/s and latency of the web session operations.

Starts sogod (embedded default, SQLite, built-in user table; sessions in the
SQLite OCSSessionsFolderURL table and a per-worker cache) and drives, from
several client processes, one connection per request:

  connect   POST /SOGo/connect (verify the password, open a session: a row and a cache entry)
  refused   POST /SOGo/connect with a wrong password (403 LDAPPasswordPolicyError)
  logoff    GET /SOGo/so/demo/logoff with a fresh session's cookie (ends the session);
            each logoff follows its own connect, so req/s counts the pairs and the
            latencies are the logoff's alone

    .venv/bin/python bench/web_login.py [--seconds 10] [--clients 4] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import fan_out, summary  # noqa: E402
from tests.sogod_env import Daemon, embedded_config  # noqa: E402

LOGIN = json.dumps({"userName": "demo", "password": "demo"}).encode()
WRONG = json.dumps({"userName": "demo", "password": "wrong"}).encode()


def _post(port: int, body: bytes):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/SOGo/connect", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _session_cookie(response) -> str:
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("0xHIGHFLYxSOGo="):
            return value.split(";", 1)[0]
    raise RuntimeError("no session cookie")


def client(port: int, scenario: str, seconds: float, queue) -> None:
    latencies, errors = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            cookie = _session_cookie(_post(port, LOGIN)) if scenario == "logoff" else None
            started = time.monotonic()
            if scenario == "logoff":
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/SOGo/so/demo/logoff", headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                conn.close()
                ok = response.status == 302
            else:
                response = _post(port, WRONG if scenario == "refused" else LOGIN)
                ok = response.status == (403 if scenario == "refused" else 200)
        except OSError:
            errors += 1
            continue
        if ok:
            latencies.append(time.monotonic() - started)
        else:
            errors += 1
    queue.put((latencies, errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"web sessions, {args.workers} workers, {args.clients} client processes, {args.seconds:.0f} s "
          f"per scenario, {multiprocessing.cpu_count()} CPUs")
    print(f"{'scenario':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        config = embedded_config(Path(tmp))
        with Daemon(config, "-WOWorkersCount", str(args.workers), "-WOListenQueueSize", "128") as daemon:
            daemon.wait_workers(args.workers)
            for scenario in ("connect", "refused", "logoff"):
                latencies, errors = fan_out(client, (daemon.port, scenario, args.seconds), args.clients)
                r = summary(latencies, errors, args.seconds)
                print(f"{scenario:>9} {r['req_per_s']:>8.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['errors']:>6}")


if __name__ == "__main__":
    main()
