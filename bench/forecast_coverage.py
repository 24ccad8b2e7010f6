"""Honesty of the follower forecasts' intervals on the demo accounts (issue 11, item 8).

    .venv/bin/python bench/forecast_coverage.py [--end 2026-12-01] [--days 180] [--seed 7]

The demo accounts' follower series are the ones `pixely seed-demo` writes
(`app.demo.generator.generate_metrics`, 180 days, seed 7: two brands, ten accounts, with
campaign steps and an outage); they are generated in-process, no database is needed, and
each is trained exactly as `POST .../forecasts` trains it (`model.fit_forecast`).

1. The hold-out, as every version stores it: the chosen form, its MAE and the naive
   forecast's on the last 20% of days, and the share of those days inside the 80% and 95%
   bands calibrated on the training days only (`metrics.coverage`); the stored model's
   95% half-width 30 days ahead next to that MAE.
2. Rolling origins, the forecasts a user would have got: a version trained on the first
   N days (N = 60, 67, ... up to 30 days before the end), its next 30 days compared with
   what happened. Coverage is the share of those days inside the bands, pooled per
   account and over all accounts, with the MAE of the forecasts at 1-30 days; then split
   into the days with a demo event (a campaign's or an outage's follower step, which no
   follower series foretells) between the version's last day and the judged day, and the
   calm rest.

Deterministic (a fixed end date; the demo's weekdays follow it); takes a few seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.demo import generator  # noqa: E402
from app.demo.generator import DEMO_CLIENTS, generate_metrics  # noqa: E402
from app.forecasting import model  # noqa: E402

HORIZON = 30
FIRST_CUT = 60
CUT_STEP = 7


@dataclass
class Series:
    client: str
    platform: str
    points: list[tuple[datetime, int]]
    event_days: set[date]  # days on which a demo event moves the followers


@dataclass
class Tally:
    inside_80: int = 0
    inside_95: int = 0
    days: int = 0
    abs_error: float = 0.0

    def add(self, other: Tally) -> None:
        self.inside_80 += other.inside_80
        self.inside_95 += other.inside_95
        self.days += other.days
        self.abs_error += other.abs_error

    def row(self) -> str:
        if not self.days:
            return f"{self.days:5} {'-':>6} {'-':>6} {'-':>7}"
        return (
            f"{self.days:5} {pct(self.inside_80 / self.days):>6} "
            f"{pct(self.inside_95 / self.days):>6} {self.abs_error / self.days:7,.0f}"
        )


@dataclass
class Rolling:
    versions: int = 0
    calm: Tally = field(default_factory=Tally)
    event: Tally = field(default_factory=Tally)

    @property
    def all(self) -> Tally:
        both = Tally()
        both.add(self.calm)
        both.add(self.event)
        return both

    def add(self, other: Rolling) -> None:
        self.versions += other.versions
        self.calm.add(other.calm)
        self.event.add(other.event)


def event_days(client: generator.ClientSpec, first_day: date, days: int) -> set[date]:
    """The days a demo event's follower step is spread over (the generator's schedule)."""
    profile = generator._profile_for(client)
    return {
        start + timedelta(days=i)
        for event, start in generator._schedule(profile, first_day, days)
        for i in range(event.length)
        if event.follower_step
    }


def demo_series(end: date, days: int, seed: int) -> list[Series]:
    out = []
    for client in DEMO_CLIENTS:
        metrics = generate_metrics(
            client, end=datetime.combine(end, datetime.min.time(), UTC), days=days, seed=seed
        )
        events = event_days(client, end - timedelta(days=days - 1), days)
        for account in client.accounts:
            points = [
                (m.captured_at, m.followers)
                for m in metrics
                if (m.platform, m.account_handle) == (account.platform, account.handle)
            ]
            out.append(Series(client.key, account.platform, points, events))
    return out


def rolling(series: Series) -> Rolling:
    points, result = series.points, Rolling()
    for cut in range(FIRST_CUT, len(points) - HORIZON + 1, CUT_STEP):
        p = model.fit_forecast(points[:cut]).model.predict(HORIZON)
        last_day = points[cut - 1][0].date()
        for i, (captured_at, followers) in enumerate(points[cut : cut + HORIZON]):
            day = captured_at.date()
            # The value of a day has the previous day's growth in it.
            moved = any(
                last_day + timedelta(days=k) in series.event_days
                for k in range((day - last_day).days)
            )
            tally = result.event if moved else result.calm
            tally.inside_80 += int(p.lower_80[i] <= followers <= p.upper_80[i])
            tally.inside_95 += int(p.lower_95[i] <= followers <= p.upper_95[i])
            tally.abs_error += abs(followers - float(p.point[i]))
            tally.days += 1
        result.versions += 1
    return result


def pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--end", type=date.fromisoformat, default=date(2026, 12, 1))
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    series = demo_series(args.end, args.days, args.seed)

    print(f"Hold-out of each account's version (the last 20% of {args.days} days)\n")
    head = (
        f"{'account':24} {'chosen':32} {'MAE':>7} {'naive':>7} "
        f"{'in 80%':>6} {'in 95%':>6} {'±95% day 30':>11}"
    )
    print(head)
    print("-" * len(head))
    held_80, held_95 = [], []
    for s in series:
        fit = model.fit_forecast(s.points)
        ev = fit.evaluation
        p = fit.model.predict(HORIZON)
        half_95 = (p.upper_95[-1] - p.lower_95[-1]) / 2
        cov = ev.coverage
        if cov is not None:
            held_80.append(cov.band_80)
            held_95.append(cov.band_95)
        print(
            f"{s.client + ' ' + s.platform:24} {ev.chosen:32} {ev.model.mae:7,.0f} "
            f"{ev.naive.mae:7,.0f} {pct(cov and cov.band_80):>6} {pct(cov and cov.band_95):>6} "
            f"{half_95:11,.0f}"
        )
    print(
        f"{'mean over accounts':24} {'':32} {'':7} {'':7} "
        f"{pct(float(np.mean(held_80))):>6} {pct(float(np.mean(held_95))):>6}"
    )

    print(
        f"\nRolling origins: versions trained on the first {FIRST_CUT}, "
        f"{FIRST_CUT + CUT_STEP}, ... days, each judged on its next {HORIZON} days\n"
    )
    columns = f"{'days':>5} {'in 80%':>6} {'in 95%':>6} {'MAE':>7}"
    print(f"{'':33} | {'every judged day':^27} | {'calm days':^27} | {'across an event':^27}")
    head = f"{'account':24} {'versions':>8} | {columns} | {columns} | {columns}"
    print(head)
    print("-" * len(head))
    total = Rolling()
    for s in series:
        r = rolling(s)
        total.add(r)
        print(
            f"{s.client + ' ' + s.platform:24} {r.versions:8} | {r.all.row()} | "
            f"{r.calm.row()} | {r.event.row()}"
        )
    print(
        f"{'all accounts':24} {total.versions:8} | {total.all.row()} | "
        f"{total.calm.row()} | {total.event.row()}"
    )
    print(f"\n{time.perf_counter() - started:.1f} s (end {args.end}, seed {args.seed})")


if __name__ == "__main__":
    main()
