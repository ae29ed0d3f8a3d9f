#!/usr/bin/env python3
"""A campaign of a million leads kept in a store: how fast `outreach simulate --store` fills it,
and then how long `outreach run` takes to start sending, `status` to answer and `explain` to
explain one lead, with the memory `run` needs per lead.

The campaign is the simulation benchmark's (benchmarks/bench_simulate.cpp): 3 steps (2 days,
then 3 business days), 100 mailboxes in 24 zones, leads spread over the 24 zones, but open at
every hour of every day, so that `outreach run` on the system clock finds sends due whenever the
benchmark runs. Its schedule started 30 days ago; `simulate --store` plays its first `--days`
days into a SQLite store (steps 1 and 2 with the defaults), which leaves step 3 due for every lead:
`outreach run` then has sends waiting at once, written to a Maildir (`outbox:` transport) so
that nothing but the engine is measured.

Peers and bounds, measured or set in the same run:
- `simulate` in memory on the same campaign and days: `simulate --store` against it (goal: at
  least a third of its rate);
- `run`: seconds from its start to the first message in the Maildir (goal: 2 s), and its peak
  memory per lead (goal: at most 1 KiB) once it has sent for a few seconds;
- `status --store` (goal 0.5 s) and `explain` of one lead (goal 50 ms), each the best of 3.

Each of `run`, `status` and `explain` is measured twice, on two copies of the store: one with the
log alone, and one where a start (`run --until` an instant past, which sends nothing) replayed
the log and kept a snapshot of the campaign's state. Both `run`s find the same sends due.

    bench_scale.py --outreach build/outreach [--leads 1000000] [--days 3] [--keep DIR]
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
        "schedule": {"timezone": "UTC", "lead_timezone": True,
                     "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                     "hours": ["00:00-24:00"], "start": start.isoformat()},
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
    """`outreach run`: seconds to its first message in the Maildir (emptied first: the copies of
    the store send the same messages, to the same files), peak memory per lead after it has sent
    for `send_seconds`, and the messages it wrote by then. Its log goes to a file: a pipe read
    only at the end would fill and stop it."""
    new = outbox / "new"
    for message in new.iterdir():
        message.unlink()
    log_path = store.with_suffix(".log")
    start = time.monotonic()
    with open(log_path, "wb") as log:
        process = subprocess.Popen([outreach, "run", "--store", str(store)], stdout=subprocess.DEVNULL, stderr=log)
    first = None
    deadline = start + 600
    while time.monotonic() < deadline and process.poll() is None:
        if any(new.iterdir()):
            first = time.monotonic() - start
            break
        time.sleep(0.005)
    if first is None:
        process.kill()
        process.wait()
        sys.exit(f"bench_scale: outreach run sent nothing: {log_path.read_text(errors='replace')[-2000:]}")
    # The high-water mark, read until the end of the sending time (or of the run, should it
    # finish its campaign before).
    peak = 0
    until = time.monotonic() + send_seconds
    while time.monotonic() < until and process.poll() is None:
        peak = max(peak, peak_kib(process.pid))
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)  # stops after the sends under way, as an operator would
    process.wait(timeout=120)
    written = len(os.listdir(new))
    return first, peak * 1024.0 / leads, written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outreach", required=True, help="the outreach program")
    parser.add_argument("--leads", type=int, default=1000000)
    parser.add_argument("--days", type=int, default=3,
                        help="days simulated into the store (3: steps 1 and 2 sent, step 3 due)")
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
        for leftover in [*folder.glob("store.db*"), *folder.glob("log.db*"), *folder.glob("kept.db*")]:
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

        # Two copies: the log alone, and the log with the snapshot a start keeps.
        log_store, kept_store = folder / "log.db", folder / "kept.db"
        source = sqlite3.connect(store)
        for copy in (log_store, kept_store):
            target = sqlite3.connect(copy)
            source.backup(target)
            target.close()
        source.close()
        for written in folder.glob("store.db*"):
            written.unlink()
        timed([options.outreach, "run", "--store", str(kept_store), "--until", "2000-01-01T00:00:00Z"])
        db = sqlite3.connect(f"file:{kept_store}?mode=ro", uri=True)
        row = db.execute("SELECT through, length(state) FROM snapshots WHERE campaign = 'scale'").fetchone()
        db.close()
        snapshot = (f"a snapshot through event {row[0]:,} ({row[1] / 1e6:.1f} MB)" if row else
                    "no snapshot: a start keeps one after replaying 10,000 events or more")

        lead = f"lead{options.leads // 2 + 1}@company{(options.leads // 2 + 1) % 5000}.example"
        measured = []
        for copy in (log_store, kept_store):
            status = best_of(3, [options.outreach, "status", "--store", str(copy)])
            explain = best_of(3, [options.outreach, "explain", "--store", str(copy), "scale", lead])
            first, per_lead, written = first_send_and_memory(options.outreach, copy, outbox, options.leads,
                                                             options.send_seconds)
            measured.append((first, written, per_lead, status, explain))
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)

    print(f"outreach scale benchmark: {options.leads:,} leads x 3 steps, 100 mailboxes, 24 zones, "
          f"{options.days} days simulated into SQLite")
    print(f"store: {sends:,} sends, {events:,} events")
    print(f"simulate in memory (peer)        {memory_seconds:8.2f} s")
    print(f"simulate --store                 {store_seconds:8.2f} s   rate ratio {memory_seconds / store_seconds:.2f} "
          f"(goal 0.33)")
    for label, (first, written, per_lead, status, explain) in zip(("from the log", f"with {snapshot}"), measured):
        print(f"{label}:")
        print(f"  run: first message after       {first:8.2f} s   ratio to the 2 s goal {first / 2.0:.2f} "
              f"({written:,} messages in {options.send_seconds:g} s after it)")
        print(f"  run: peak memory per lead      {per_lead:8.0f} B   ratio to the 1 KiB goal {per_lead / 1024:.2f}")
        print(f"  status --store                 {status:8.3f} s   ratio to the 0.5 s goal {status / 0.5:.2f}")
        print(f"  explain one lead               {explain:8.3f} s   ratio to the 50 ms goal {explain / 0.05:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
