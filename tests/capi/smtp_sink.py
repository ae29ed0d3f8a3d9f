"""A throwaway SMTP server for the C interface's tests: aiosmtpd on 127.0.0.1, on a free port.

    smtp_sink.py FOLDER [--login USER:PASSWORD]

Prints the port on a line of its own once it accepts connections, then keeps every message it
takes as FOLDER/N.eml (the data as received) and FOLDER/N.json ({"mail_from", "rcpt_tos",
"smtputf8"}), the JSON written last, before the reply. With --login, AUTH PLAIN and LOGIN are
offered (over plain text too: the tests connect over loopback) and only that login is accepted.
It runs until it is killed. Without aiosmtpd it prints "skip: ..." and exits with 77.
"""

import argparse
import json
import socket
import sys
import threading
from pathlib import Path

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError as error:  # the test is skipped, not failed
    print(f"skip: {error}", flush=True)
    sys.exit(77)


class Sink:
    """Keeps each message in the folder and answers with a queue id."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.count += 1
            number = self.count
        (self.folder / f"{number}.eml").write_bytes(envelope.original_content or b"")
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, "smtputf8": envelope.smtp_utf8}
        (self.folder / f"{number}.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        return f"250 2.0.0 Ok: queued as Q{number}"


def accept_only(user: str, password: str):
    def authenticator(server, session, envelope, mechanism, auth_data):
        good = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and (
            auth_data.password.decode() == password)
        return AuthResult(success=good, handled=False)  # handled=False: aiosmtpd answers 535 itself

    return authenticator


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--login", help="USER:PASSWORD, the only login accepted")
    arguments = parser.parse_args()
    options = {"decode_data": False, "enable_SMTPUTF8": True}
    if arguments.login:
        user, password = arguments.login.split(":", 1)
        options.update(authenticator=accept_only(user, password), auth_require_tls=False)
    last_error = None
    for _ in range(10):  # another process may take the port between probing and binding
        controller = Controller(Sink(arguments.folder), hostname="127.0.0.1", port=free_port(), **options)
        try:
            controller.start()
        except (OSError, RuntimeError) as error:
            last_error = error
            continue
        print(controller.port, flush=True)
        threading.Event().wait()
    print(f"error: no port to listen on: {last_error}", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
