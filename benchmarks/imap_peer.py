"""The Python peer of bench_imap, and its mail: fills a mailbox over IMAP, and reads it as a
mail-reading script would, with Python's imaplib and email (standard library only).

    python3 imap_peer.py fill HOST PORT CA_FILE USER PASSWORD CORPUS_DIR COUNT
    python3 imap_peer.py read HOST PORT CA_FILE USER PASSWORD

`fill` appends COUNT messages to INBOX: the .eml files under CORPUS_DIR in turn, each with a
fresh Message-ID. `read` logs in (STARTTLS, the CA given), opens INBOX read-only (EXAMINE),
searches every UID, fetches the messages a hundred at a time with `BODY.PEEK[]` (as outreach
does) and parses each one as inbound_peer.py does (every text part decoded). It prints one line,
"messages=N bytes=B seconds=S cpu=C", timed from the connection to the last message parsed.
"""

import imaplib
import re
import ssl
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from inbound_peer import read_one  # noqa: E402

MESSAGE_ID = re.compile(rb"^Message-ID:[^\r\n]*(\r?\n[ \t][^\r\n]*)*\r?\n", re.IGNORECASE | re.MULTILINE)
BATCH = 100


def connect(host, port, ca_file, user, password):
    client = imaplib.IMAP4(host, int(port))
    client.starttls(ssl_context=ssl.create_default_context(cafile=ca_file))
    client.login(user, password)
    return client


def fill(host, port, ca_file, user, password, corpus, count):
    files = sorted(Path(corpus).rglob("*.eml"))
    messages = [path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") for path in files]
    client = connect(host, port, ca_file, user, password)
    started = time.perf_counter()
    for number in range(int(count)):
        raw = MESSAGE_ID.sub(b"", messages[number % len(messages)], count=1)
        fresh = f"Message-ID: <{uuid.uuid4().hex}@bench.example>\r\n".encode()
        status, _ = client.append("INBOX", None, None, fresh + raw)
        if status != "OK":
            print(f"imap_peer: APPEND failed: {status}", file=sys.stderr)
            return 1
    client.logout()
    print(f"appended={count} seconds={time.perf_counter() - started:.3f}")
    return 0


def read(host, port, ca_file, user, password):
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    client = connect(host, port, ca_file, user, password)
    client.select("INBOX", readonly=True)
    status, data = client.uid("SEARCH", None, "ALL")
    uids = data[0].split() if status == "OK" and data and data[0] else []
    count = size = 0
    for first in range(0, len(uids), BATCH):
        batch = b",".join(uids[first:first + BATCH]).decode()
        status, items = client.uid("FETCH", batch, "(BODY.PEEK[])")
        if status != "OK":
            print(f"imap_peer: FETCH failed: {status}", file=sys.stderr)
            return 1
        for item in items:
            if isinstance(item, tuple):
                read_one(item[1], False)
                count += 1
                size += len(item[1])
    client.logout()
    elapsed, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    print(f"messages={count} bytes={size} seconds={elapsed:.6f} cpu={cpu:.6f}")
    return 0


def main():
    command, arguments = sys.argv[1], sys.argv[2:]
    if command == "fill" and len(arguments) == 7:
        return fill(*arguments)
    if command == "read" and len(arguments) == 5:
        return read(*arguments)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
