"""Requests/s and latency of the CalDAV requests clients make on a calendar of 1,000 events.

Starts sogod (embedded default, SQLite, built-in user table), fills the
personal calendar with 1,000 events spread over 2026 (weekly recurring every
tenth), then drives each scenario from several client processes, one
connection per request:

  propfind   PROPFIND Depth 1 (getetag, getcontenttype) of the calendar
  query      calendar-query VEVENT time-range of one month, with calendar-data
  multiget   calendar-multiget of 50 hrefs, with calendar-data
  sync       sync-collection with an empty token (getetag)
  put        PUT of a new event

    .venv/bin/python bench/caldav.py [--seconds 10] [--clients 4] [--workers 4] [--events 1000]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import itertools
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import summary  # noqa: E402
from tests.sogod_env import Daemon, embedded_config  # noqa: E402

CAL = "/SOGo/dav/demo/Calendar/personal/"
AUTH = "Basic " + base64.b64encode(b"demo:demo").decode()
XML = {"Content-Type": "application/xml", "Authorization": AUTH}

EVENT = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//sogod bench//EN\r
BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20260101T000000Z\r
DTSTART:2026{month:02d}{day:02d}T{hour:02d}0000Z\r
DTEND:2026{month:02d}{day:02d}T{hour2:02d}3000Z\r
{rrule}SUMMARY:Bench event {uid}\r
DESCRIPTION:Some text so that the object has a realistic size, about half a kilobyte once\r
  folded: agenda, location, people, and a few more words.\r
LOCATION:Room {hour}\r
END:VEVENT\r
END:VCALENDAR\r
"""

PROPFIND = (b'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/>'
            b'<D:getcontenttype/></D:prop></D:propfind>')
QUERY = (b'<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" '
         b'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>'
         b'<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">'
         b'<C:time-range start="20260301T000000Z" end="20260401T000000Z"/></C:comp-filter></C:comp-filter>'
         b'</C:filter></C:calendar-query>')
SYNC = (b'<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/>'
        b'<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>')


def event(n: int, recurring: bool = False) -> bytes:
    month, day, hour = 1 + n % 12, 1 + (n // 12) % 28, 8 + n % 9
    rrule = "RRULE:FREQ=WEEKLY;COUNT=20\r\n" if recurring else ""
    return EVENT.format(uid=f"bench-{n}", month=month, day=day, hour=hour, hour2=hour + 1,
                        rrule=rrule).encode()


def multiget(first: int) -> bytes:
    hrefs = "".join(f"<D:href>{CAL}bench-{(first + i) % 1000}.ics</D:href>" for i in range(50))
    return (f'<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" '
            f'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>'
            f'{hrefs}</C:calendar-multiget>').encode()


def request(port: int, method: str, path: str, body: bytes, headers: dict) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, len(data)
    finally:
        conn.close()


def scenario_request(name: str, i: int, tag: str):
    """(method, path, body, headers, expected status) of request ``i`` of a scenario."""
    if name == "propfind":
        return "PROPFIND", CAL, PROPFIND, {**XML, "Depth": "1"}, 207
    if name == "query":
        return "REPORT", CAL, QUERY, {**XML, "Depth": "1"}, 207
    if name == "multiget":
        return "REPORT", CAL, multiget(i * 50), {**XML, "Depth": "1"}, 207
    if name == "sync":
        return "REPORT", CAL, SYNC, {**XML, "Depth": "1"}, 207
    if name == "put":
        body = event(100000 + i).replace(b"bench-", f"put-{tag}-".encode())
        return ("PUT", f"{CAL}put-{tag}-{i}.ics", body,
                {"Content-Type": "text/calendar", "Authorization": AUTH, "If-None-Match": "*"}, 201)
    raise ValueError(name)


def client(port: int, name: str, seconds: float, tag: str, queue) -> None:
    latencies, errors, sizes = [], 0, []
    deadline = time.monotonic() + seconds
    for i in itertools.count():
        if time.monotonic() >= deadline:
            break
        method, path, body, headers, expected = scenario_request(name, i, tag)
        started = time.monotonic()
        try:
            status, size = request(port, method, path, body, headers)
        except OSError:
            errors += 1
            continue
        if status != expected:
            errors += 1
            continue
        latencies.append(time.monotonic() - started)
        sizes.append(size)
    queue.put((latencies, errors, sizes))


def populate(port: int, count: int) -> float:
    started = time.monotonic()
    for n in range(count):
        status, _ = request(port, "PUT", f"{CAL}bench-{n}.ics", event(n, recurring=n % 10 == 0),
                            {"Content-Type": "text/calendar", "Authorization": AUTH})
        if status not in (201, 204):
            raise SystemExit(f"PUT bench-{n}.ics: {status}")
    return time.monotonic() - started


def run(port: int, name: str, seconds: float, clients: int) -> dict:
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=client, args=(port, name, seconds, f"{os.getpid()}x{c}x{time.time_ns()}",
                                                          queue)) for c in range(clients)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = sorted(x for lat, _, _ in results for x in lat)
    sizes = [s for _, _, sz in results for s in sz]
    return {"name": name, **summary(latencies, sum(e for _, e, _ in results), seconds),
            "kb": statistics.mean(sizes) / 1024 if sizes else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--scenarios", default="propfind,query,multiget,sync,put")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = embedded_config(Path(tmp))
        with Daemon(config, "-WOWorkersCount", str(args.workers), "-WOListenQueueSize", "128") as daemon:
            daemon.wait_workers(args.workers)
            took = populate(daemon.port, args.events)
            print(f"calendar of {args.events} events (every tenth weekly recurring), {args.workers} workers, "
                  f"{args.clients} client processes, {args.seconds:.0f} s per scenario, "
                  f"{multiprocessing.cpu_count()} CPUs")
            print(f"populate: {args.events} sequential PUTs in {took:.1f} s "
                  f"({args.events / took:.0f} req/s, {1000 * took / args.events:.1f} ms each)")
            print(f"{'scenario':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'KB/resp':>8} {'errors':>6}")
            for name in args.scenarios.split(","):
                r = run(daemon.port, name, args.seconds, args.clients)
                print(f"{r['name']:>9} {r['req_per_s']:>8.1f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
                      f"{r['kb']:>8.1f} {r['errors']:>6}")


if __name__ == "__main__":
    main()
