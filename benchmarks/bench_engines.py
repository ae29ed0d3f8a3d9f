#!/usr/bin/env python3
"""Several engines on one PostgreSQL store: sends per second with 1, 2 and 4 `outreach run`
processes sharing one database, against one `outreach run` on a SQLite store, in the same run,
all sending plain SMTP to Postfix's smtp-sink on loopback.

Each configuration runs the same campaigns (the leads split between them, three steps due at
once, four mailboxes shared by all, no limit that binds) on a new store, from the moment the
engines start until the last one has nothing left to do; the sink counts every message. The
PostgreSQL server is a test cluster of its own (tests/support/postgresql_server.py: fsync off,
as for the tests; a production server's commits wait for its disk). Printed: sends per second,
each as a ratio to the SQLite engine, and the CPU time the engines and the server used, which
says where the limit is.

    bench_engines.py --outreach build/outreach [--leads 6000] [--campaigns 8] [--engines 1,2,4]

Exit status 77 (a skipped test) when smtp-sink or PostgreSQL is not installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "support"))
from postgresql_server import BIN as POSTGRESQL_BIN, PostgresqlServer  # noqa: E402

STEPS = 3
MAILBOXES = ("ma", "mb", "mc", "md")


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """smtp-sink on loopback, counting what it takes (-c) in a file."""

    def __init__(self, folder: Path) -> None:
        self.port = unused_port()
        self.counters = folder / "sink-counters.txt"
        command = [shutil.which("smtp-sink") or "/usr/sbin/smtp-sink", "-a", "-c"]
        if os.geteuid() == 0:
            command += ["-u", "nobody"]
        command += [f"127.0.0.1:{self.port}", "1000"]
        self.out = open(self.counters, "wb")
        self.process = subprocess.Popen(command, stdout=self.out, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    if connection.recv(3) == b"220":
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("smtp-sink did not start")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=10)
        self.out.close()


def write_campaigns(folder: Path, port: int, leads: int, campaigns: int) -> List[Path]:
    sequence = {"steps": [
        {"variants": [{"subject": "Hello {{first_name}}", "text": "Hi {{first_name}}, a short note."}]},
        {"delay": {"minutes": 0}, "variants": [{"text": "Following up, {{first_name}}."}]},
        {"delay": {"minutes": 0}, "variants": [{"text": "Last one, {{first_name}}."}]},
    ]}
    (folder / "sequence.json").write_text(json.dumps(sequence), encoding="utf-8")
    paths = []
    for index in range(campaigns):
        rows = "".join(f"lead{number:06d}@leads.test,Lead{number}\n" for number in range(index, leads, campaigns))
        (folder / f"leads{index}.csv").write_text("email,first_name\n" + rows, encoding="utf-8")
        campaign = {
            "name": f"campaign{index}", "sequence": "sequence.json", "leads": f"leads{index}.csv", "seed": index + 1,
            "schedule": {"timezone": "UTC", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                         "hours": ["00:00-24:00"]},
            "mailboxes": [{"id": name, "from": f"{name} <{name}@sender.test>", "daily_limit": 1000000,
                           "timezone": "UTC", "transport": f"smtp://127.0.0.1:{port}", "security": "none"}
                          for name in MAILBOXES],
            "limits": {"new_leads_per_day": 1000000, "sends_per_day": 1000000},
        }
        path = folder / f"campaign{index}.json"
        path.write_text(json.dumps(campaign), encoding="utf-8")
        paths.append(path)
    return paths


def children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def postgresql_cpu(server: PostgresqlServer) -> float:
    """User and system seconds of every process of the cluster, from /proc."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pid_file = server.data / "postmaster.pid"
    if not pid_file.exists():
        return 0.0
    root = int(pid_file.read_text().splitlines()[0])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, parent = int(entry.name), int(fields[1])
        if pid == root or parent == root:
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / ticks
    return total


def run_engines(outreach: str, store: str, count: int, folder: Path) -> Tuple[float, float]:
    """`count` engines on the store until each has nothing left: the seconds, and their CPU time."""
    before = children_cpu()
    started = time.monotonic()
    processes = []
    for number in range(count):
        log = open(folder / f"engine-{count}-{number}.log", "wb")
        processes.append((subprocess.Popen([outreach, "run", "--store", store], stdout=log, stderr=log), log))
    for process, log in processes:
        if process.wait(timeout=3600) != 0:
            raise RuntimeError(f"an engine failed; see {log.name}")
        log.close()
    return time.monotonic() - started, children_cpu() - before


def enter(outreach: str, store: str, campaigns: List[Path]) -> None:
    entered = subprocess.run([outreach, "run", *map(str, campaigns), "--store", store, "--until", "2000-01-01T00:00:00Z"],
                             capture_output=True)
    if entered.returncode != 0:
        raise RuntimeError(f"the campaigns were refused: {entered.stderr.decode(errors='replace')}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outreach", required=True)
    parser.add_argument("--leads", type=int, default=6000)
    parser.add_argument("--campaigns", type=int, default=8)
    parser.add_argument("--engines", default="1,2,4")
    arguments = parser.parse_args()
    if not (shutil.which("smtp-sink") or Path("/usr/sbin/smtp-sink").exists()) or not (POSTGRESQL_BIN / "initdb").exists():
        print("bench_engines: skipped: smtp-sink (postfix) or PostgreSQL is not installed")
        return 77
    sends = arguments.leads * STEPS
    folder = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    sink = Sink(folder)
    try:
        campaigns = write_campaigns(folder, sink.port, arguments.leads, arguments.campaigns)
        print(f"bench_engines: {arguments.leads} leads x {STEPS} steps in {arguments.campaigns} campaigns, "
              f"4 shared mailboxes, to smtp-sink on 127.0.0.1:{sink.port}; {os.cpu_count()} cores")
        sqlite = folder / "sqlite.db"
        enter(arguments.outreach, str(sqlite), campaigns)
        seconds, cpu = run_engines(arguments.outreach, str(sqlite), 1, folder)
        baseline = sends / seconds
        print(f"  {'store':<12} {'engines':>7} {'seconds':>8} {'sends/s':>9} {'ratio':>6} {'engine cpu s':>13} "
              f"{'server cpu s':>13}")
        print(f"  {'SQLite':<12} {1:>7} {seconds:>8.2f} {baseline:>9.0f} {1.0:>6.2f} {cpu:>13.2f} {'-':>13}")
        with PostgresqlServer() as server:
            for count in (int(value) for value in arguments.engines.split(",")):
                store = server.create_database()
                enter(arguments.outreach, store, campaigns)
                server_before = postgresql_cpu(server)
                seconds, cpu = run_engines(arguments.outreach, store, count, folder)
                server_cpu = postgresql_cpu(server) - server_before
                rate = sends / seconds
                print(f"  {'PostgreSQL':<12} {count:>7} {seconds:>8.2f} {rate:>9.0f} {rate / baseline:>6.2f} "
                      f"{cpu:>13.2f} {server_cpu:>13.2f}")
    finally:
        sink.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
