"""Service evaluation on a year of a big city: `build_report`, `rank_departments` and the HTML
report over a million cases and three million calls, against a naive per-case Python loop.

    python -m bench.evaluation_scale [--database-url URL] [--cases 1000000] [--calls N]
                                     [--sample 50000] [--runs 3] [--refill] [--quiet]

PostgreSQL by default (``postgresql://postgres@127.0.0.1:5432/hotline_bench``, created if missing
from the server's ``postgres`` database); a SQLite URL works too, with a smaller ``--cases``
(e.g. ``--database-url sqlite:///evaluation-bench.db --cases 20000``). The database is migrated
to head with ``migrations.runner.upgrade``.

Data, written by the database itself (one ``INSERT ... SELECT`` per table over
``generate_series`` on PostgreSQL, a recursive CTE on SQLite; no Python loop), unless the tables
already hold exactly the synthetic rows asked for. The bench refuses a ``cases`` or
``call_records`` table holding rows it did not write (case numbers ``EV…``, call source
``bench``; ``--refill`` writes them again). The draws are a hash of the row number, so the same
``--cases`` always gives the same rows, on both databases; rows are written in time order, as a
live system appends them (a month's cases sit together on disk). No personal data: caller name
and phone are left NULL.

* ``--cases`` cases received uniformly over the 12 months 2025-12-01 .. 2026-11-30 (Beijing
  days), each with its ``case_facts`` row (dispatched cases) as the transition log would have
  folded it: 30 % closed at intake (direct answer 80 %, three-way call 12 %, not accepted 5 %,
  emergency hand-off 3 %); the others dispatched to one of 60 departments ``bench-d01`` ..
  ``bench-d60`` (40 functional, 15 district governments, 5 enterprises; sizes skewed, d01 the
  largest), closed 1-12 days later (resolved 86 %, callback unreachable 6 %, no callback
  required 4 %, closed unresolved 3 %, withdrawn 1 %), still open when received in the last two
  weeks with probability 0.6; 7 types, 7 channels, 10 districts; returns 5 % (a fifth of them
  rejected), late sign-off 5 %, late reply 6 %, reopened 2 %; satisfaction on five levels.
* ``--calls`` (default 3 × cases) call records offered uniformly over the same year; 96.5 %
  answered (85 % on one day in 29, so some 24-hour windows miss the 95 % target), 85 % of the
  answered within 15 s; the unanswered abandoned (90 %) or timed out.

Timed (``--runs`` runs each after one warm-up, median and fastest shown): ``build_report`` for
the month 2026-11 and for the whole year, each part of it alone (case indicators overall and by
the four dimensions, trend, type mix, call summary with the worst 24-hour window, daily
connection rates, ranking), ``rank_departments`` for the month, and ``render_html`` (also
``render_csv`` and ``render_xlsx``) of the month's report.

Baseline, side by side: the case indicators (overall and by department) of a period of
``--sample`` cases or so (the first days of 2026-11 that hold that many) computed the naive way:
every case received or closed in the period loaded as an ORM object with its facts, and counted
in a Python loop following `rules.evaluation`. Both must give the same figures (the bench exits
1 when they differ). The last line is always
``ratio: <naive seconds per case ÷ SQL seconds per case>`` over that sample.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bench.evaluation_data import describe, fill
from bench.evaluation_naive import differences, naive_sets, sample_period, sql_sets
from bench.evaluation_sql import MONTH, YEAR
from bench.harness import options
from bench.harness.database import ensure_database
from bench.harness.options import Say
from bench.harness.timing import repeated
from db.engine import SessionFactory, make_engine, normalise_url, safe_url, session_factory
from evaluation.calls import call_summary, daily_connection_rates
from evaluation.exports import render_csv, render_xlsx
from evaluation.indicators import case_indicators, trend, type_mix
from evaluation.ranking import rank_departments
from evaluation.render import render_html
from evaluation.report import build_report, department_names
from migrations.runner import upgrade
from models.evaluation import Dimension, Period

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/hotline_bench"


# ---- timing ------------------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    seconds: list[float]
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def best(self) -> float:
        return min(self.seconds)


def timed(name: str, action: Callable[[], Any], runs: int, note: str = "") -> tuple[Timing, Any]:
    """`runs` timed calls after one warm-up, and the last result (the one shown)."""
    seconds, result = repeated(action, runs)
    return Timing(name, seconds, note), result


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}" if seconds >= 0.01 else f"{seconds * 1000:.2f}"


def table(timings: Sequence[Timing]) -> list[str]:
    width = max(len(t.name) for t in timings)
    lines = [f"{'':<{width}}  median ms   best ms  ", f"{'-' * width}  ---------  --------"]
    for timing in timings:
        lines.append(
            f"{timing.name:<{width}}  {_ms(timing.median):>9}  {_ms(timing.best):>8}  {timing.note}"
        )
    return lines


def parts(sessions: SessionFactory, period: Period, runs: int) -> Iterator[Timing]:
    """Each function `build_report` calls, timed alone."""
    for name, action in (
        ("case indicators overall", lambda: case_indicators(sessions, period, None)),
        *(
            (
                f"case indicators by {dimension.value}",
                lambda dimension=dimension: case_indicators(sessions, period, dimension),
            )
            for dimension in Dimension
        ),
        ("trend", lambda: trend(sessions, period)),
        ("type mix", lambda: type_mix(sessions, period)),
        ("call summary (+ worst 24 h)", lambda: call_summary(sessions, period)),
        ("daily connection rates", lambda: daily_connection_rates(sessions, period)),
        ("rank_departments", lambda: rank_departments(sessions, period)),
    ):
        yield timed(f"  {name}", action, runs)[0]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = options.parser(
        "bench.evaluation_scale",
        "build_report, rank_departments and the HTML report on a synthetic year.",
    )
    options.add_database_url(
        parser, f"PostgreSQL (created if missing) or SQLite database ({DEFAULT_URL})", DEFAULT_URL
    )
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases (1000000)")
    parser.add_argument("--calls", type=int, default=None, help="call records (3 × cases)")
    parser.add_argument(
        "--sample", type=int, default=50_000, help="cases of the naive baseline (50000)"
    )
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (3)")
    parser.add_argument(
        "--refill", action="store_true", help="write the data again even if it is there"
    )
    options.add_quiet(parser)
    args = parser.parse_args(argv)
    if args.calls is None:
        args.calls = 3 * args.cases
    if args.cases < 1_000 or args.calls < 0 or args.sample < 100 or args.runs < 1:
        parser.error("--cases must be ≥ 1000, --calls ≥ 0, --sample ≥ 100 and --runs ≥ 1")
    return args


def run(args: argparse.Namespace, say: Say) -> float:
    url = normalise_url(args.database_url)
    ensure_database(url)
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    fill(engine, args.cases, args.calls, say, args.refill)
    print(f"database: {safe_url(url)} ({engine.dialect.name})")
    for line in describe(engine):
        print(line)
    print(f"month {MONTH.label}, year {YEAR.label}; {args.runs} timed runs after one warm-up\n")

    say("timing build_report")
    month_report, report = timed(
        "build_report, month", lambda: build_report(sessions, MONTH), args.runs
    )
    year_report, _ = timed("build_report, year", lambda: build_report(sessions, YEAR), args.runs)
    ranking, _ = timed(
        "rank_departments, month", lambda: rank_departments(sessions, MONTH), args.runs
    )
    names = department_names(sessions)
    html, page = timed("render_html, month", lambda: render_html(report, names), args.runs)
    csv, _ = timed("render_csv, month", lambda: render_csv(report), args.runs)
    xlsx, _ = timed("render_xlsx, month", lambda: render_xlsx(report, names), args.runs)
    month_cases = sum(point.cases for point in report.trend)
    month_report.note = f"{month_cases:,} cases received, {report.calls.offered:,} calls"
    html.note = f"{len(page.encode()) / 1024:,.0f} KiB"
    print("\n".join(table([month_report, year_report, ranking, html, csv, xlsx])))
    say("timing the parts of build_report")
    print("\nparts of build_report, month:")
    print("\n".join(table(list(parts(sessions, MONTH, args.runs)))[2:]))
    print("parts of build_report, year:")
    print("\n".join(table(list(parts(sessions, YEAR, args.runs)))[2:]))

    say("baseline: naive loop")
    period, sample = sample_period(engine, args.sample)
    sql_timing, sql = timed(
        "SQL (case_indicators overall + by department)",
        lambda: sql_sets(sessions, period),
        args.runs,
    )
    naive_timing, naive = timed(
        "naive per-case Python loop", lambda: naive_sets(sessions, period), args.runs
    )
    found = differences(naive, sql)
    per_case_sql = sql_timing.median / max(sample, 1)
    per_case_naive = naive_timing.median / max(sample, 1)
    sql_timing.note = f"{per_case_sql * 1e6:.2f} µs per case"
    naive_timing.note = f"{per_case_naive * 1e6:.2f} µs per case"
    print(f"\nbaseline: period {period.label}, {sample:,} cases received")
    print("\n".join(table([sql_timing, naive_timing])))
    print(f"same figures: {'yes' if not found else f'NO, {len(found)} differ'}")
    for line in found[:10]:
        print(f"  {line}")
    engine.dispose()
    if found:
        print(f"ratio: {per_case_naive / per_case_sql:.2f}")
        raise SystemExit(1)
    return per_case_naive / per_case_sql


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    ratio = run(args, options.progress(args.quiet))
    print(f"ratio: {ratio:.2f}", flush=True)


if __name__ == "__main__":
    main()
