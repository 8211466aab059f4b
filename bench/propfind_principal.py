"""Requests/s and latency of an authenticated PROPFIND on a principal.

Starts sogod (embedded default, SQLite, built-in user table) with 1, 2 and 4
workers and drives it from several client processes, one connection per
request as SOGo clients get (sogod closes after each response).

    .venv/bin/python bench/propfind_principal.py [--seconds 10] [--clients 8]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import fan_out, summary  # noqa: E402
from tests.sogod_env import Daemon, embedded_config  # noqa: E402

BODY = (b'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>'
        b'<D:current-user-principal/><D:principal-URL/><D:displayname/></D:prop></D:propfind>')
HEADERS = {"Depth": "0", "Content-Type": "application/xml",
           "Authorization": "Basic " + base64.b64encode(b"demo:demo").decode()}


def client(port: int, seconds: float, queue) -> None:
    latencies, errors = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("PROPFIND", "/SOGo/dav/demo/", BODY, HEADERS)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status != 207:
                errors += 1
                continue
        except OSError:
            errors += 1
            continue
        latencies.append(time.monotonic() - started)
    queue.put((latencies, errors))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(workers: int, seconds: float, clients: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        config = embedded_config(Path(tmp))
        with Daemon(config, "-WOWorkersCount", str(workers), "-WOListenQueueSize", "128") as daemon:
            daemon.wait_workers(workers)
            client(daemon.port, 1.0, multiprocessing.Queue())  # warm up
            latencies, errors = fan_out(client, (daemon.port, seconds), clients)
            memory = [rss_mb(pid) for pid in daemon.workers()]
    return {
        "workers": workers,
        **summary(latencies, errors, seconds),
        "rss_mb_per_worker": max(memory) if memory else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    print(f"PROPFIND /SOGo/dav/demo/ (Depth 0, Basic auth), {args.clients} client processes, "
          f"{args.seconds:.0f} s each, {multiprocessing.cpu_count()} CPUs")
    print(f"{'workers':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'RSS/worker MB':>14}")
    for workers in (int(w) for w in args.workers.split(",")):
        r = run(workers, args.seconds, args.clients)
        print(f"{r['workers']:>7} {r['req_per_s']:>8.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
              f"{r['errors']:>6} {r['rss_mb_per_worker']:>14.1f}")


if __name__ == "__main__":
    main()
