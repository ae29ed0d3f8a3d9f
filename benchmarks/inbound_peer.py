"""The Python peer of bench_inbound: reads received messages with Python's own `email` package
(standard library only), as a mail-reading script would.

    python3 inbound_peer.py MESSAGES_FILE SECONDS text|all

MESSAGES_FILE holds, for each message, a line "LENGTH" and then LENGTH bytes of raw message. It
is read whole before the clock starts. Each message is parsed with
`email.message_from_bytes(raw, policy=email.policy.default)` and every part is walked; with
`text` the content of every text part is decoded to a string (`get_content()`: transfer encoding
removed, charset converted), with `all` every other leaf part is decoded too (its bytes), which is
what outreach's parse_message does for every part. Passes over all the messages are repeated
until SECONDS of wall-clock time have passed (at least one pass). Prints one line,
"messages=N bytes=B seconds=S cpu=C parts=P chars=T", where P counts the parts walked and T the
decoded characters (text) and bytes (other leaves) of one pass.
"""

import email
import email.policy
import sys
import time


def read_messages(path):
    messages = []
    with open(path, "rb") as stream:
        while True:
            line = stream.readline()
            if not line:
                return messages
            messages.append(stream.read(int(line)))


def read_one(raw, decode_all):
    """Parses one message and decodes its parts; returns (parts walked, characters decoded)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = 0
    decoded = 0
    for part in message.walk():
        parts += 1
        if part.is_multipart():
            continue
        if part.get_content_maintype() == "text":
            try:
                decoded += len(part.get_content())
            except (LookupError, UnicodeError, ValueError):
                # An unknown charset or an undecodable body: what a careful reader would skip.
                decoded += len(part.get_payload(decode=True) or b"")
        elif decode_all:
            decoded += len(part.get_payload(decode=True) or b"")
    return parts, decoded


def main():
    path, seconds, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    if mode not in ("text", "all"):
        print(f"inbound_peer: unknown mode {mode!r}", file=sys.stderr)
        return 2
    decode_all = mode == "all"
    messages = read_messages(path)
    size = sum(len(raw) for raw in messages)
    count = 0
    passes = 0
    parts = 0
    decoded = 0
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    while True:
        parts = decoded = 0
        for raw in messages:
            walked, characters = read_one(raw, decode_all)
            parts += walked
            decoded += characters
        count += len(messages)
        passes += 1
        if time.perf_counter() - wall_start >= seconds:
            break
    elapsed, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    print(f"messages={count} bytes={size * passes} seconds={elapsed:.6f} cpu={cpu:.6f} parts={parts} "
          f"chars={decoded}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
