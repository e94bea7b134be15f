"""The command-line options the benchmarks share, and their progress lines on stderr."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

Say = Callable[[str], None]

APP_DATABASE_HELP = (
    "application database (migrated and seeded, nothing dropped); "
    "default: a fresh SQLite file in a temporary directory"
)


def parser(module: str, description: str) -> argparse.ArgumentParser:
    """The parser of `python -m <module>`."""
    return argparse.ArgumentParser(prog=f"python -m {module}", description=description)


def add_database_url(
    parser: argparse.ArgumentParser, help: str = APP_DATABASE_HELP, default: str | None = None
) -> None:
    parser.add_argument("--database-url", default=default, help=help)


def add_cases(parser: argparse.ArgumentParser, cases: int) -> None:
    """`--cases` of each kind and `--concurrency`, the load of a case-lifecycle benchmark."""
    parser.add_argument("--cases", type=int, default=cases, help=f"cases of each kind ({cases})")
    parser.add_argument("--concurrency", type=int, default=20, help="cases in flight (20)")


def add_rounds(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (4)")


def add_json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def progress(quiet: bool = False) -> Say:
    """Where a benchmark says what it is doing: stderr, or nowhere with `quiet`."""
    return _silent if quiet else _say


def _say(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)


def _silent(message: str) -> None:
    del message
