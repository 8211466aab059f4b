"""Shared by the bench scripts: fan a client function out over processes, summarise."""

from __future__ import annotations

import multiprocessing
import statistics


def fan_out(target, args: tuple, clients: int) -> tuple[list[float], int]:
    """Run ``target(*args, queue)`` in ``clients`` processes; each puts (latencies, errors)."""
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=target, args=(*args, queue)) for _ in range(clients)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    return sorted(x for lat, _ in results for x in lat), sum(e for _, e in results)


def summary(latencies: list[float], errors: int, seconds: float) -> dict:
    """req/s, p50 and p99 in milliseconds, errors."""
    return {
        "requests": len(latencies),
        "errors": errors,
        "req_per_s": len(latencies) / seconds,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else 0.0,
        "p99_ms": 1000 * latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else 0.0,
    }
