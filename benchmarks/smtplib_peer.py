"""The smtplib peer of bench_smtp: sends the benchmark's own messages through one SMTP connection
with Python's smtplib (sendmail in a loop, one message at a time: smtplib does not pipeline).

    python3 smtplib_peer.py HOST PORT MESSAGES_FILE

MESSAGES_FILE holds, for each message, a line "SENDER RECIPIENT LENGTH" and then LENGTH bytes of
message. It is read whole before the clock starts, so that only the SMTP session is timed (from
the connect to the end of QUIT). Prints one line, "accepted=N messages=M seconds=S cpu=C", and
exits 1 unless every message was accepted.
"""

import smtplib
import sys
import time


def read_messages(path):
    messages = []
    with open(path, "rb") as stream:
        while True:
            line = stream.readline()
            if not line:
                return messages
            sender, recipient, length = line.split()
            messages.append((sender.decode(), recipient.decode(), stream.read(int(length))))


def main():
    host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    messages = read_messages(path)
    accepted = 0
    first_failure = None
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    with smtplib.SMTP(host, port, local_hostname="bench.example") as session:
        for sender, recipient, data in messages:
            try:
                refused = session.sendmail(sender, [recipient], data)
            except smtplib.SMTPException as error:
                first_failure = first_failure or repr(error)
                continue
            if refused:
                first_failure = first_failure or repr(refused)
            else:
                accepted += 1
    seconds, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    print(f"accepted={accepted} messages={len(messages)} seconds={seconds:.6f} cpu={cpu:.6f}")
    if first_failure:
        print(f"smtplib_peer: first failure: {first_failure}", file=sys.stderr)
    return 0 if accepted == len(messages) else 1


if __name__ == "__main__":
    sys.exit(main())
