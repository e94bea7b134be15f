"""CPU seconds of this process, of the dev server and of the whole machine; resident memory.

Read from /proc (Linux); elsewhere the figures that need it are 0.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import importlib.util
import os
import resource
import sys
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter


@dataclass(frozen=True)
class Usage:
    """Wall time and CPU seconds of this process, of the dev server, and of the machine."""

    wall_s: float = 0.0
    process_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    machine_busy_s: float = 0.0

    @classmethod
    def now(cls, server_pids: Collection[int]) -> Usage:
        return cls(perf_counter(), time.process_time(), cpu_s(server_pids), machine_busy_s())

    def __sub__(self, other: Usage) -> Usage:
        return Usage(
            self.wall_s - other.wall_s,
            self.process_cpu_s - other.process_cpu_s,
            self.server_cpu_s - other.server_cpu_s,
            self.machine_busy_s - other.machine_busy_s,
        )

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.wall_s + other.wall_s,
            self.process_cpu_s + other.process_cpu_s,
            self.server_cpu_s + other.server_cpu_s,
            self.machine_busy_s + other.machine_busy_s,
        )


def child_pids() -> set[int]:
    """This process's child processes."""
    me, pids = os.getpid(), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == me:
                pids.add(int(stat.parent.name))
    return pids


def cpu_s(pids: Collection[int]) -> float:
    """CPU seconds (user + system) of the given processes."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / _clock_ticks()


def machine_busy_s() -> float:
    """CPU seconds the whole machine was busy (all cores, from /proc/stat)."""
    with contextlib.suppress(OSError, ValueError):
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = ticks[3] + ticks[4]  # idle + iowait
        return (sum(ticks[:8]) - idle) / _clock_ticks()
    return 0.0


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def rss_kib() -> int:
    """Resident set size of this process (VmRSS), in KiB."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # peak: the best without /proc


def settle(trim: bool = True) -> None:
    """Collect garbage; with `trim`, hand freed heap back to the OS so growth shows in the RSS."""
    gc.collect()
    if trim:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


def bytecode_cache() -> str:
    """Whether imported modules (and the sandbox's per-run re-imports) can use cached bytecode."""
    if sys.dont_write_bytecode:
        return "off (PYTHONDONTWRITEBYTECODE)"
    return f"on ({sys.pycache_prefix})" if sys.pycache_prefix else "on"


def workflow_pyc() -> str:
    """Whether the sandbox, which re-imports the `workflows/case/` modules for every case (and
    `bench/baseline.py` for every baseline run), finds them compiled: `fresh` (a .pyc matching
    each source), else the first of `stale`, `hash-based` or `missing`."""
    spec = importlib.util.find_spec("workflows.case")
    baseline = importlib.util.find_spec("bench.baseline")
    if spec is None or not spec.submodule_search_locations or baseline is None:
        return "missing"
    sources = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.py"))
    sources.append(Path(str(baseline.origin)))
    states = [_pyc_state(source) for source in sources]
    return next((state for state in states if state != "fresh"), "fresh")


def _pyc_state(source: Path) -> str:
    try:
        header = Path(importlib.util.cache_from_source(str(source))).read_bytes()[:16]
    except OSError:
        return "missing"
    stat = source.stat()
    if int.from_bytes(header[4:8], "little") != 0:
        return "hash-based"
    mtime = int.from_bytes(header[8:12], "little")
    size = int.from_bytes(header[12:16], "little")
    fresh = mtime == int(stat.st_mtime) & 0xFFFFFFFF and size == stat.st_size & 0xFFFFFFFF
    return "fresh" if fresh else "stale"
