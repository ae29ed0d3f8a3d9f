"""The Python peer of bench_run: a plain loop that sends a campaign of LEADS x STEPS messages
through one SMTP connection with smtplib and keeps the same state per send in SQLite (WAL) as the
engine does: an intent row committed before the send, then the `sent` event row and the intent's
deletion committed together after it.

    python3 run_loop_peer.py HOST PORT DB_FILE LEADS STEPS SIZE process|power

SIZE is the message size to aim at (the engine's average in the same run). `process` is
synchronous=NORMAL, `power` synchronous=FULL, as in the engine's store. Timed from the connect to
the end of QUIT (the database is created before). Prints one line,
"accepted=N messages=M seconds=S cpu=C", and exits 1 unless every message was accepted.
"""

import json
import smtplib
import sqlite3
import sys
import time

SCHEMA = """
CREATE TABLE events (id INTEGER PRIMARY KEY, campaign TEXT NOT NULL, lead TEXT NOT NULL,
  type TEXT NOT NULL, at INTEGER NOT NULL, line TEXT NOT NULL) STRICT;
CREATE INDEX events_by_campaign ON events (campaign);
CREATE INDEX events_by_lead ON events (lead COLLATE NOCASE);
CREATE TABLE intents (id INTEGER PRIMARY KEY, campaign TEXT NOT NULL, lead TEXT NOT NULL,
  step INTEGER NOT NULL, mailbox TEXT NOT NULL, message_id TEXT NOT NULL, at INTEGER NOT NULL,
  UNIQUE (campaign, lead, step)) STRICT;
"""

CAMPAIGN = "bench-run"
SENDER = "alice@acme.example"


def message(lead, step, message_id, size):
    # Headers much like the engine's, then a text body padded to the size; every message differs.
    subject = ("Re: " if step == 2 else "") + f"Quick question about Company {lead % 997}"
    head = (f"From: Alice Doe <{SENDER}>\r\nTo: lead{lead}@company{lead % 997}.example\r\n"
            f"Subject: {subject}\r\nDate: Thu, 26 Nov 2026 12:00:00 +0000\r\nMessage-ID: {message_id}\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n")
    line = f"Hi Lead {lead}, step {step}: a few words about Company {lead % 997} and outbound. "
    body = []
    length = len(head)
    while length < size:
        body.append(line + "\r\n")
        length += len(line) + 2
    return (head + "".join(body)).encode()


def main():
    host, port, db_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    leads, steps, size, durability = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
    db = sqlite3.connect(db_file, isolation_level=None)  # explicit BEGIN/COMMIT, as the engine
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = " + ("FULL" if durability == "power" else "NORMAL"))
    db.execute("PRAGMA foreign_keys = ON")
    db.executescript(SCHEMA)

    accepted = 0
    first_failure = None
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    with smtplib.SMTP(host, port, local_hostname="bench.example") as session:
        for step in range(1, steps + 1):
            for lead in range(leads):
                recipient = f"lead{lead}@company{lead % 997}.example"
                message_id = f"<{CAMPAIGN}.{lead}.{step}@acme.example>"
                now = int(time.time() * 1000)
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO intents (campaign, lead, step, mailbox, message_id, at) "
                           "VALUES (?, ?, ?, ?, ?, ?)", (CAMPAIGN, recipient, step, "alice", message_id, now))
                db.execute("COMMIT")
                try:
                    refused = session.sendmail(SENDER, [recipient], message(lead, step, message_id, size))
                except smtplib.SMTPException as error:
                    first_failure = first_failure or repr(error)
                    continue
                if refused:
                    first_failure = first_failure or repr(refused)
                    continue
                accepted += 1
                line = json.dumps({"type": "sent", "at": now, "campaign": CAMPAIGN, "lead": recipient,
                                   "step": step, "variant": "A", "mailbox": "alice", "message_id": message_id})
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO events (campaign, lead, type, at, line) VALUES (?, ?, ?, ?, ?)",
                           (CAMPAIGN, recipient, "sent", now, line))
                db.execute("DELETE FROM intents WHERE campaign = ? AND lead = ? AND step = ?",
                           (CAMPAIGN, recipient, step))
                db.execute("COMMIT")
    seconds, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    db.close()
    total = leads * steps
    print(f"accepted={accepted} messages={total} seconds={seconds:.6f} cpu={cpu:.6f}")
    if first_failure:
        print(f"run_loop_peer: first failure: {first_failure}", file=sys.stderr)
    return 0 if accepted == total else 1


if __name__ == "__main__":
    sys.exit(main())
