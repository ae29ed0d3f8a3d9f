"""10,000 one-click unsubscribes over 50 connections beside a running `outreach run`: every one
answered 200 and recorded (the suppression list, the engine's answers), none lost, and no
message reaches an address after the 200 of its unsubscribe: the SMTP server records when it
took each message, the client when it read each answer. The order of the posts is seeded
(OUTREACH_LOAD_SEED) and printed, so a failure can be replayed."""

from __future__ import annotations

import http.client
import json
import os
import queue
import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "cli"))
from serve_support import CLI, NAME, Server, address, cli, environment, links, path_of, simulate, write_campaign  # noqa: E402
from test_crash import RecordingServer  # noqa: E402

LEADS = int(os.environ.get("OUTREACH_LOAD_POSTS", "10000"))
CONNECTIONS = 50
SEED = int(os.environ.get("OUTREACH_LOAD_SEED") or random.SystemRandom().randrange(1, 2**31))


def post_all(port: int, paths: List[str]) -> Dict[str, float]:
    """Posts every path over CONNECTIONS keep-alive connections; when each 200 was read."""
    work: "queue.Queue[str]" = queue.Queue()
    for path in paths:
        work.put(path)
    answered: Dict[str, float] = {}
    failures: List[str] = []
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            try:
                path = work.get_nowait()
            except queue.Empty:
                break
            for attempt in range(3):
                try:
                    connection.request("POST", path, body=b"List-Unsubscribe=One-Click",
                                       headers={"Content-Type": "application/x-www-form-urlencoded"})
                    response = connection.getresponse()
                    response.read()
                    break
                except (ConnectionError, http.client.HTTPException):
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    if attempt == 2:
                        raise
            with lock:
                if response.status == 200:
                    answered[path] = time.time()
                else:
                    failures.append(f"{path}: {response.status}")
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [], failures[:5]
    return answered


def test_ten_thousand_one_click_unsubscribes_beside_a_running_engine(tmp_path):
    print(f"OUTREACH_LOAD_SEED={SEED}")
    # Each lead's link, from a simulation of the same campaign (the same secret makes the same links).
    simulated = tmp_path / "simulated"
    simulated.mkdir()
    simulate(write_campaign(simulated, LEADS, steps=1), simulated / "state.db", simulated / "outbox", days=1)
    link_of = links(simulated / "outbox")
    assert len(link_of) == LEADS

    smtp = RecordingServer(tmp_path, drop_rate=0.0, seed=0)
    campaign = write_campaign(tmp_path, LEADS, steps=1, port=smtp.port)
    store = tmp_path / "state.db"
    run_log = open(tmp_path / "run.log", "ab")
    run = subprocess.Popen([CLI, "run", str(campaign), "--store", str(store)], stdout=run_log, stderr=run_log,
                           env=environment())
    try:
        deadline = time.monotonic() + 60
        while not smtp.accepted():
            assert run.poll() is None, (tmp_path / "run.log").read_text()
            assert time.monotonic() < deadline, "the run sent nothing"
            time.sleep(0.05)
        # Near the order the engine sends in, shuffled locally: many clicks race the send of
        # their own lead.
        dice = random.Random(SEED)
        order = sorted(range(LEADS), key=lambda n: n + dice.uniform(-300, 300))
        paths = [path_of(link_of[address(n)]) for n in order]
        with Server(store) as server:
            started = time.monotonic()
            answered = post_all(server.port, paths)
            elapsed = time.monotonic() - started
        sent_while = len(smtp.accepted())
        print(f"{len(answered)} one-click posts answered in {elapsed:.1f} s ({len(answered) / elapsed:.0f} a second) "
              f"over {CONNECTIONS} connections; {sent_while} messages sent meanwhile")
        assert len(answered) == LEADS
        run.wait(timeout=300)  # every lead sent to or skipped: the run ends by itself
        assert run.returncode == 0, (tmp_path / "run.log").read_text()
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        run_log.close()
        smtp.stop()

    # Requests the run did not reach before it ended are applied now (no engine holds the store).
    assert cli("resume", NAME, "--store", store).returncode == 0

    # Nothing reached an address after its unsubscribe was answered.
    answered_at = {address(n): answered[path_of(link_of[address(n)])] for n in range(LEADS)}
    received = smtp.accepted()
    late = [entry for entry in received if entry["received"] >= answered_at[entry["rcpt"].lower()]]
    assert late == [], late[:5]
    assert len({entry["rcpt"] for entry in received}) == len(received)  # and nobody got two

    # Every one recorded: suppressed, its request answered and applied.
    with sqlite3.connect(store) as db:
        suppressed = {row[0] for row in db.execute("SELECT address FROM suppressions WHERE reason = 'unsubscribe'")}
        answers = [json.loads(answer) for body, answer in db.execute("SELECT body, answer FROM requests")
                   if json.loads(body)["action"] == "unsubscribe"]
        waiting = db.execute("SELECT count(*) FROM requests WHERE answered IS NULL").fetchone()[0]
    assert suppressed == set(answered_at)
    assert waiting == 0
    assert len(answers) == LEADS and all(answer["applied"] for answer in answers)
    events = [json.loads(line) for line in cli("events", "--store", store).stdout.splitlines()]
    unsubscribed = {event["lead"] for event in events if event["type"] == "unsubscribed"}
    skipped = {event["lead"] for event in events if event["type"] == "skipped" and event.get("reason") == "suppressed"}
    sent_to = {entry["rcpt"].lower() for entry in received}
    # A lead mailed before its click has its unsubscribe recorded; one clicked before its turn
    # was either stopped by it or skipped as suppressed when its turn came.
    assert sent_to <= unsubscribed
    assert unsubscribed | skipped == set(answered_at)
    print(f"{len(sent_to)} leads were mailed before their click; {len(unsubscribed - sent_to)} were stopped and "
          f"{len(skipped)} skipped before their turn")
