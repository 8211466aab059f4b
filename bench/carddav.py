"""CardDAV on a book of 2,000 cards: requests/s and latency of what clients do.

Starts sogod (embedded default, SQLite), fills demo's personal book with
2,000 vCards by PUT, then drives each request kind from several client
processes: PROPFIND Depth 1 (getetag), addressbook-query on EMAIL and on FN,
addressbook-multiget of 50 hrefs, sync-collection with an empty token.

    .venv/bin/python bench/carddav.py [--seconds 10] [--clients 4] [--workers 2] [--cards 2000]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import multiprocessing
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.loadgen import fan_out, summary  # noqa: E402
from tests.sogod_env import Daemon, embedded_config  # noqa: E402

BOOK = "/SOGo/dav/demo/Contacts/personal/"
AUTH = "Basic " + base64.b64encode(b"demo:demo").decode()
NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"'


def card(i: int) -> bytes:
    return (f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:card-{i}\r\nFN:Person {i:04d} Example\r\n"
            f"N:Example{i:04d};Person;;;\r\nEMAIL;TYPE=work:user{i:04d}@example.org\r\n"
            f"EMAIL;TYPE=home:home{i:04d}@example.net\r\nTEL;TYPE=cell:+1 555 {i:04d}\r\n"
            f"ORG:Company {i % 50}\r\nCATEGORIES:bench\r\nNOTE:{'x' * 200}\r\nEND:VCARD\r\n").encode()


def query(prop: str, text: str, collation: str) -> bytes:
    return (f'<C:addressbook-query {NS}><D:prop><D:getetag/><C:address-data/></D:prop><C:filter>'
            f'<C:prop-filter name="{prop}"><C:text-match collation="{collation}" match-type="contains">'
            f'{text}</C:text-match></C:prop-filter></C:filter></C:addressbook-query>').encode()


def multiget(cards: int) -> bytes:
    hrefs = "".join(f"<D:href>{BOOK}card-{i}.vcf</D:href>" for i in random.sample(range(cards), 50))
    return (f'<C:addressbook-multiget {NS}><D:prop><D:getetag/><C:address-data/></D:prop>{hrefs}'
            f'</C:addressbook-multiget>').encode()


def scenarios(cards: int) -> dict:
    return {
        "PROPFIND Depth 1 (getetag)": ("PROPFIND", "1", lambda: b'<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/>'
                                       b'</D:prop></D:propfind>'),
        "query EMAIL (ascii-casemap)": ("REPORT", "1",
                                        lambda: query("EMAIL", f"user{random.randrange(cards):04d}@",
                                                      "i;ascii-casemap")),
        "query FN (unicode-casemap)": ("REPORT", "1",
                                       lambda: query("FN", f"person {random.randrange(cards):04d}",
                                                     "i;unicode-casemap")),
        "multiget 50": ("REPORT", "1", lambda: multiget(cards)),
        "sync-collection, empty token": ("REPORT", "1", lambda: b'<D:sync-collection xmlns:D="DAV:"><D:sync-token/>'
                                         b'<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>'
                                         b'</D:sync-collection>'),
    }


def request(port, method, path, body, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request(method, path, body, {"Authorization": AUTH, **headers})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def client(port: int, seconds: float, name: str, cards: int, queue) -> None:
    method, depth, make = scenarios(cards)[name]
    latencies, errors = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = make()
        started = time.monotonic()
        try:
            status, _ = request(port, method, BOOK, body, {"Depth": depth, "Content-Type": "application/xml"})
        except OSError:
            errors += 1
            continue
        if status != 207:
            errors += 1
            continue
        latencies.append(time.monotonic() - started)
    queue.put((latencies, errors))


def fill(port: int, cards: int) -> float:
    started = time.monotonic()

    def put(i):
        status, _ = request(port, "PUT", f"{BOOK}card-{i}.vcf", card(i), {"Content-Type": "text/vcard"})
        assert status == 201, status
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(cards)))
    return cards / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cards", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = embedded_config(Path(tmp))
        with Daemon(config, "-WOWorkersCount", str(args.workers), "-WOListenQueueSize", "128") as daemon:
            daemon.wait_workers(args.workers)
            puts = fill(daemon.port, args.cards)
            print(f"{args.cards} cards in {BOOK} (SQLite), {args.workers} workers, {args.clients} client "
                  f"processes, {args.seconds:.0f} s per line, {multiprocessing.cpu_count()} CPUs; "
                  f"filled by PUT at {puts:.0f} cards/s")
            print(f"{'request':<32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
            for name in scenarios(args.cards):
                latencies, errors = fan_out(client, (daemon.port, args.seconds, name, args.cards), args.clients)
                r = summary(latencies, errors, args.seconds)
                p50, p99 = r["p50_ms"], r["p99_ms"]
                print(f"{name:<32} {len(latencies) / args.seconds:>8.1f} {p50:>8.1f} {p99:>8.1f} {errors:>6}",
                      flush=True)


if __name__ == "__main__":
    main()
