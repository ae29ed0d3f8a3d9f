#!/usr/bin/env python3
"""A campaign of a million leads kept in a store: how fast `outreach simulate --store` fills it,
and then how long `outreach run` takes to start sending, `status` to answer and `explain` to
explain one lead, with the memory `run` needs per lead.

The campaign is the simulation benchmark's (benchmarks/bench_simulate.cpp): 3 steps (2 days,
then 3 business days), 100 mailboxes in 24 zones, leads spread over the 24 zones with
lead-local weekday windows. Its schedule started 30 days ago; `simulate --store` plays its
first `--days` days into a SQLite store (about 3 events a lead with the defaults), which leaves
follow-ups due: `outreach run` on the system clock then has sends waiting at once, written to a
Maildir (`outbox:` transport) so that nothing but the engine is measured.

Peers and bounds, measured or set in the same run:
- `simulate` in memory on the same campaign and days: `simulate --store` against it (goal: at
  least a third of its rate);
- `run`: seconds from its start to the first message in the Maildir (goal: 2 s), and its peak
  memory per lead (goal: at most 1 KiB) once it has sent for a few seconds;
- `status --store` (goal 0.5 s) and `explain` of one lead (goal 50 ms), each the best of 3.

Each of `run`, `status` and `explain` is measured twice: on the log alone, and after the first
`run` replayed it and kept a snapshot of the campaign's state (the second `run` starts from it).

    bench_scale.py --outreach build/outreach [--leads 1000000] [--days 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Tuple

ZONES = [
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver", "America/Chicago",
    "America/New_York", "America/Sao_Paulo", "Atlantic/Azores", "Europe/London", "Europe/Berlin",
    "Europe/Athens", "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu",
    "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Adelaide", "Australia/Sydney",
    "Pacific/Noumea", "Pacific/Auckland",
]
COMPANIES = ["Brightloop", "Kestrel Labs", "Northwind", "Umbra", "Quillpad"]


def write_campaign(path: Path, leads: int, start: dt.date, outbox: Path) -> None:
    """The campaign file, written as it goes: a million leads are about 120 MB of JSON."""
    campaign = {
        "name": "scale",
        "seed": 1,
        "sequence": {"steps": [
            {"variants": [
                {"subject": "{Quick|Short} question about {{company}}",
                 "text": "Hi {{first_name | \"there\"}}, ... {{sender.name}}"},
                {"subject": "{{company}} + Acme?", "text": "Hey {{first_name | \"there\"}}, ...", "weight": 2}]},
            {"delay": {"days": 2}, "variants": [{"text": "Bumping this, {{first_name | \"there\"}}."}]},
            {"delay": {"business_days": 3}, "thread": "new",
             "variants": [{"subject": "Closing the loop", "text": "Last note."}]}]},
        "schedule": {"timezone": "UTC", "lead_timezone": True, "days": ["mon", "tue", "wed", "thu", "fri"],
                     "hours": ["08:00-18:00"], "start": start.isoformat()},
        "mailboxes": [{"id": f"m{m}", "from": f"Sender {m} <s{m}@acme.example>", "daily_limit": 10000,
                       "min_interval": {"minutes": 0}, "timezone": ZONES[m % 24],
                       "transport": f"outbox:{outbox}"} for m in range(100)],
    }
    head = json.dumps(campaign)[:-1]
    with open(path, "w", encoding="utf-8") as out:
        out.write(head + ', "leads": [')
        for i in range(leads):
            lead = {"email": f"lead{i}@company{i % 5000}.example", "company": COMPANIES[i % 5], "timezone": ZONES[i % 24]}
            if i % 7:
                lead["first_name"] = "Alex"
            out.write(("," if i else "") + json.dumps(lead))
        out.write("]}")


def timed(command: List[str]) -> Tuple[float, subprocess.CompletedProcess]:
    """Wall seconds and the result; a failure ends the benchmark with what the command said."""
    start = time.monotonic()
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seconds = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"bench_scale: {' '.join(command)} failed ({result.returncode}): "
                 f"{result.stderr.decode(errors='replace')[-2000:]}")
    return seconds, result


def peak_kib(pid: int) -> int:
    """A running process's peak resident memory (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def best_of(runs: int, command: List[str]) -> float:
    return min(timed(command)[0] for _ in range(runs))


def first_send_and_memory(outreach: str, store: Path, outbox: Path, leads: int, send_seconds: float) -> Tuple[float, float, int]:
    """`outreach run`: seconds to its first message in the Maildir, peak memory per lead after it
    has sent for `send_seconds`, and the messages it wrote by then."""
    new = outbox / "new"
    already = len(os.listdir(new)) if new.is_dir() else 0
    start = time.monotonic()
    process = subprocess.Popen([outreach, "run", "--store", str(store)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    first = None
    deadline = start + 600
    while time.monotonic() < deadline and process.poll() is None:
        if new.is_dir() and len(os.listdir(new)) > already:
            first = time.monotonic() - start
            break
        time.sleep(0.005)
    if first is None:
        process.kill()
        err = process.communicate()[1].decode(errors="replace")
        sys.exit(f"bench_scale: outreach run sent nothing: {err[-2000:]}")
    time.sleep(send_seconds)
    peak = peak_kib(process.pid)
    process.send_signal(signal.SIGINT)  # stops after the sends under way, as an operator would
    process.communicate(timeout=120)
    written = len(os.listdir(new)) - already
    return first, peak * 1024.0 / leads, written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outreach", required=True, help="the outreach program")
    parser.add_argument("--leads", type=int, default=1000000)
    parser.add_argument("--days", type=int, default=5, help="days simulated into the store")
    parser.add_argument("--send-seconds", type=float, default=3.0, help="how long run sends before it is stopped")
    parser.add_argument("--keep", help="a folder to keep the campaign and store in (default a temporary one)")
    options = parser.parse_args()

    folder = Path(options.keep) if options.keep else Path(tempfile.mkdtemp(prefix="outreach-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        outbox = folder / "outbox"
        shutil.rmtree(outbox, ignore_errors=True)
        for sub in ("new", "cur", "tmp"):
            (outbox / sub).mkdir(parents=True)
        campaign = folder / "campaign.json"
        store = folder / "store.db"
        for leftover in folder.glob("store.db*"):
            leftover.unlink()
        start = dt.date.today() - dt.timedelta(days=30)
        write_campaign(campaign, options.leads, start, outbox)
        days = ["--days", str(options.days)]

        memory_seconds = timed([options.outreach, "simulate", str(campaign), *days, "--json"])[0]
        store_seconds, simulated = timed([options.outreach, "simulate", str(campaign), *days, "--store", str(store),
                                             "--json"])
        summary = json.loads(simulated.stdout)["campaigns"][0]
        sends = sum(variant["sent"] for step in summary["steps"] for variant in step["variants"])
        events = int(subprocess.run([options.outreach, "events", "--store", str(store)], check=True,
                                    stdout=subprocess.PIPE).stdout.count(b"\n"))

        # First on the log alone; then the first `run` replays it and keeps a snapshot, which
        # the second `run`, `status` and `explain` start from.
        lead = f"lead{options.leads // 2 + 1}@company{(options.leads // 2 + 1) % 5000}.example"
        status_log = best_of(3, [options.outreach, "status", "--store", str(store)])
        explain_log = best_of(3, [options.outreach, "explain", "--store", str(store), "scale", lead])
        first_log, bytes_log, written_log = first_send_and_memory(options.outreach, store, outbox, options.leads,
                                                                  options.send_seconds)
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            row = db.execute("SELECT through, length(state) FROM snapshots WHERE campaign = 'scale'").fetchone()
        snapshot = (f"a snapshot through event {row[0]:,} ({row[1] / 1e6:.1f} MB)" if row else
                    "no snapshot: a start keeps one after replaying 10,000 events or more")
        status_kept = best_of(3, [options.outreach, "status", "--store", str(store)])
        explain_kept = best_of(3, [options.outreach, "explain", "--store", str(store), "scale", lead])
        first_kept, bytes_kept, written_kept = first_send_and_memory(options.outreach, store, outbox, options.leads,
                                                                     options.send_seconds)
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)

    print(f"outreach scale benchmark: {options.leads:,} leads x 3 steps, 100 mailboxes, 24 zones, "
          f"{options.days} days simulated into SQLite")
    print(f"store: {sends:,} sends, {events:,} events")
    print(f"simulate in memory (peer)        {memory_seconds:8.2f} s")
    print(f"simulate --store                 {store_seconds:8.2f} s   rate ratio {memory_seconds / store_seconds:.2f} "
          f"(goal 0.33)")
    for label, first, written, per_lead, status, explain in (
            ("from the log", first_log, written_log, bytes_log, status_log, explain_log),
            (f"after the first run, with {snapshot}", first_kept, written_kept, bytes_kept, status_kept, explain_kept)):
        print(f"{label}:")
        print(f"  run: first message after       {first:8.2f} s   ratio to the 2 s goal {first / 2.0:.2f} "
              f"({written:,} messages in {options.send_seconds:g} s after it)")
        print(f"  run: peak memory per lead      {per_lead:8.0f} B   ratio to the 1 KiB goal {per_lead / 1024:.2f}")
        print(f"  status --store                 {status:8.3f} s   ratio to the 0.5 s goal {status / 0.5:.2f}")
        print(f"  explain one lead               {explain:8.3f} s   ratio to the 50 ms goal {explain / 0.05:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
