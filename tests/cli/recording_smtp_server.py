"""An SMTP server on loopback, in a process of its own, whose record of what it accepted is the
truth a crash test checks the engine's store against.

It accepts every message and appends one JSON line per message to the record file
({"message_id", "rcpt", "mail_from", "step", "text", "received"}: the step from the subject's "Step
N", the text/plain body decoded, the system time when the message was taken), flushed and fsynced
before its 250 reply: a
message is in the record if and only if the server was about to say it took it.

With --drop-rate it also drops connections without a reply at random (seeded) moments of a
transaction: before replying to MAIL, to RCPT or to DATA (the client has sent nothing of the
message, so it may send it again) or after the final "." (the client cannot know whether the
message was taken). A dropped message is not in the record; each drop is a line in --drops.
The transaction after a drop always goes through: the client sends a message that was cut off
before its data once more on a fresh connection, and a second drop would turn it into a
deferral retried only minutes later.

With --reply-delay SECONDS it waits that long before answering each message's data, so that a
client sends at the pace of the server: a campaign that takes seconds rather than moments.

With --drop-first-to ADDRESS (repeatable), the first transaction to each of these recipients is
dropped after its final "." as well: a send left in doubt on purpose.

It prints its port on standard output once it listens, and stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import email.parser
import email.policy
import json
import os
import random
import re
import signal
import sys
import time
from typing import Any, BinaryIO, Optional

from aiosmtpd.smtp import SMTP

DROP_STAGES = ("mail", "rcpt", "data", "after_data")
STEP_IN_SUBJECT = re.compile(r"\bstep (\d+)\b", re.IGNORECASE)


def append_durably(file: BinaryIO, entry: dict) -> None:
    file.write(json.dumps(entry, sort_keys=True).encode("utf-8") + b"\n")
    file.flush()
    os.fsync(file.fileno())


class Recorder:
    """The handler shared by every connection: the record, the drops, and the dice."""

    def __init__(self, record: BinaryIO, drops: Optional[BinaryIO], drop_rate: float, seed: int,
                 drop_first_to: frozenset = frozenset(), reply_delay: float = 0.0) -> None:
        self.record = record
        self.reply_delay = reply_delay
        self.drop_first_to = set(drop_first_to)
        self.drops = drops
        self.drop_rate = drop_rate
        self.dice = random.Random(seed)
        self.spare_next = False

    def plan_transaction(self) -> Optional[str]:
        """The stage at which the transaction starting now loses its connection, if any."""
        if self.drop_rate <= 0:
            return None
        if self.spare_next:
            self.spare_next = False
            return None
        if self.dice.random() >= self.drop_rate:
            return None
        self.spare_next = True
        return self.dice.choice(DROP_STAGES)

    def note_drop(self, stage: str, envelope: Any, message_id: Optional[str] = None) -> None:
        if self.drops is None:
            return
        append_durably(self.drops, {
            "stage": stage,
            "mail_from": envelope.mail_from,
            "rcpt": envelope.rcpt_tos[0] if envelope.rcpt_tos else None,
            "message_id": message_id,
        })

    async def handle_DATA(self, server: "DroppingSMTP", session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(envelope.original_content)
        message_id = (headers.get("Message-ID") or "").strip()
        step_found = STEP_IN_SUBJECT.search(headers.get("Subject") or "")
        first_to = envelope.rcpt_tos[0].lower() if envelope.rcpt_tos else ""
        if first_to in self.drop_first_to:
            self.drop_first_to.discard(first_to)
            server.planned_drop = "after_data"
        if server.planned_drop == "after_data":
            self.note_drop("after_data", envelope, message_id)
            server.transport.abort()
            return "421 4.4.2 never sent: the connection is gone"
        if self.reply_delay > 0:
            await asyncio.sleep(self.reply_delay)
        append_durably(self.record, {
            "message_id": message_id,
            "rcpt": envelope.rcpt_tos[0],
            "mail_from": envelope.mail_from,
            "step": int(step_found.group(1)) if step_found else None,
            "text": plain_text(envelope.original_content),
            "received": time.time(),
        })
        return "250 2.0.0 Ok: recorded"


def plain_text(raw: bytes) -> Optional[str]:
    """The message's text/plain body, decoded; nothing when it has none."""
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(raw)
    body = message.get_body(preferencelist=("plain",))
    return body.get_content().strip() if body is not None else None


class DroppingSMTP(SMTP):
    """aiosmtpd's SMTP, which may abort the connection instead of answering a command."""

    def __init__(self, recorder: Recorder) -> None:
        super().__init__(recorder, decode_data=False, enable_SMTPUTF8=True, hostname="recorder.test")
        self.recorder = recorder
        self.planned_drop: Optional[str] = None

    def dropped_at(self, stage: str) -> bool:
        if self.planned_drop != stage:
            return False
        self.recorder.note_drop(stage, self.envelope)
        self.transport.abort()
        return True

    async def smtp_MAIL(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's name
        self.planned_drop = self.recorder.plan_transaction()
        if not self.dropped_at("mail"):
            await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's name
        if not self.dropped_at("rcpt"):
            await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's name
        if not self.dropped_at("data"):
            await super().smtp_DATA(arg)


async def serve(arguments: argparse.Namespace) -> None:
    with open(arguments.record, "ab") as record, \
            (open(arguments.drops, "ab") if arguments.drops else open(os.devnull, "wb")) as drops:
        recorder = Recorder(record, drops if arguments.drops else None, arguments.drop_rate, arguments.seed,
                            frozenset(address.lower() for address in arguments.drop_first_to), arguments.reply_delay)
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: DroppingSMTP(recorder), "127.0.0.1", 0)
        stop = asyncio.Event()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop.set)
        print(server.sockets[0].getsockname()[1], flush=True)
        await stop.wait()
        server.close()
        await server.wait_closed()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", required=True, help="the file of accepted messages, one JSON line each")
    parser.add_argument("--drops", help="the file of dropped connections, one JSON line each")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="the share of transactions that lose their connection")
    parser.add_argument("--seed", type=int, default=0, help="the seed of the drops")
    parser.add_argument("--drop-first-to", action="append", default=[],
                        help="a recipient whose first transaction is dropped after its data (repeatable)")
    parser.add_argument("--reply-delay", type=float, default=0.0,
                        help="seconds to wait before answering each message's data")
    asyncio.run(serve(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
