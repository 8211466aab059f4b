"""Resident memory of the current process.

SOGo's SxVMemLimit compares the *virtual* size. A Python worker's virtual size
jumps by hundreds of MB as soon as a library starts a thread or an allocator
reserves an arena, while nothing is really used: sogod compares the resident
size instead, which is what the limit is meant to protect.
"""

import os

_PAGE = os.sysconf("SC_PAGE_SIZE")


def resident_bytes() -> int:
    with open("/proc/self/statm", "rb") as f:
        return int(f.read().split()[1]) * _PAGE


def resident_mb() -> int:
    return resident_bytes() // (1024 * 1024)
