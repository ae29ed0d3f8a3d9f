"""Transports written in Python: the message a transport is given and the outcomes it returns.

A transport is any object with a ``send(message)`` method::

    class Recorder:
        needs_message_data = True          # optional; False: data is b"" and is not built

        def __init__(self):
            self.messages = []

        def send(self, message: outreach.Message) -> outreach.SendResult:
            self.messages.append(message)
            return outreach.Accepted(queue_id="q1")

    with outreach.Engine(transport=Recorder()) as engine:
        ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Protocol, Union, runtime_checkable

from ._library import SEND_ACCEPTED, SEND_PERMANENT, SEND_TEMPORARY
from .smtp import SendOutcome

__all__ = ["Message", "Accepted", "Temporary", "Permanent", "SendResult", "Transport", "outcome_of"]


@dataclass(frozen=True)
class Message:
    """One message to send, as the engine gives it to a transport.

    Attributes:
        mailbox: The sending mailbox's ``id`` (from the campaign).
        envelope_from: The SMTP ``MAIL FROM`` address.
        envelope_to: The SMTP ``RCPT TO`` address.
        message_id: The Message-ID, with its angle brackets.
        data: The complete RFC 5322 message (CRLF line ends, no dot-stuffing); ``b""`` when the
            transport's ``needs_message_data`` is false. Parse it with
            ``email.message_from_bytes(message.data, policy=email.policy.default)``.
        smtputf8: Whether an address has a non-ASCII local part (the server must offer SMTPUTF8).
    """

    mailbox: str
    envelope_from: str
    envelope_to: str
    message_id: str
    data: bytes
    smtputf8: bool


@dataclass(frozen=True)
class Accepted:
    """The server took the message (event ``sent``).

    Attributes:
        queue_id: The server's queue id, if it gave one.
    """

    queue_id: Optional[str] = None


@dataclass(frozen=True)
class Temporary:
    """Try again later: a 4xx reply, a network fault, 5.2.2 mailbox full (event ``deferred``;
    the send is tried again with backoff).

    Attributes:
        reason: What the server or the network said (never credentials).
        code: The SMTP reply code, such as 421.
        status: The enhanced status code, such as ``"4.2.2"``.
    """

    reason: str
    code: Optional[int] = None
    status: Optional[str] = None


@dataclass(frozen=True)
class Permanent:
    """Refused for good: another 5xx reply (event ``failed``; the lead ends). A ``5.1.x`` status
    also makes it a hard bounce, and the address is suppressed.

    Attributes:
        reason: What the server said.
        code: The SMTP reply code, such as 550.
        status: The enhanced status code, such as ``"5.1.1"``.
    """

    reason: str
    code: Optional[int] = None
    status: Optional[str] = None


#: What ``send`` returns: an outcome object (an :class:`outreach.SendOutcome` of
#: :class:`outreach.SmtpTransport` too), or a dict with ``"kind"`` (``"accepted"``,
#: ``"temporary"``, ``"permanent"``) and the same optional keys.
SendResult = Union[Accepted, Temporary, Permanent, SendOutcome, Mapping[str, Any]]


@runtime_checkable
class Transport(Protocol):
    """What the engine needs of a transport: ``send``. It may also have a boolean
    ``needs_message_data`` (default true); when false, ``Message.data`` is ``b""`` and the
    engine does not build the message (faster, for transports that only decide outcomes)."""

    def send(self, message: Message) -> SendResult:
        """Sends one message and says how it ended. Raising is a bug, not an outcome: the engine
        stops and ``simulate``/``run`` raise the exception (see the guide)."""
        ...


_KINDS: Dict[str, int] = {"accepted": SEND_ACCEPTED, "temporary": SEND_TEMPORARY, "permanent": SEND_PERMANENT}
_DICT_KEYS = {"kind", "queue_id", "reason", "code", "status"}


def outcome_of(result: Any) -> Dict[str, Any]:
    """Checks what a transport's ``send`` returned and gives it as ``{"kind": int, "code": int,
    "status": str|None, "reason": str|None, "queue_id": str|None}``.

    Raises:
        TypeError: ``result`` is not an outcome.
        ValueError: A dict with an unknown kind or key, or a code that is not a number.
    """
    if isinstance(result, SendOutcome):
        fields: Dict[str, Any] = {
            "kind": result.kind, "queue_id": result.queue_id, "reason": result.reason, "code": result.code,
            "status": result.status,
        }
        if fields["kind"] not in _KINDS:
            raise ValueError(f"transport result: an outreach.SendOutcome of the unknown kind {result.kind!r}")
    elif isinstance(result, Accepted):
        fields = {"kind": "accepted", "queue_id": result.queue_id}
    elif isinstance(result, Temporary):
        fields = {"kind": "temporary", "reason": result.reason, "code": result.code, "status": result.status}
    elif isinstance(result, Permanent):
        fields = {"kind": "permanent", "reason": result.reason, "code": result.code, "status": result.status}
    elif isinstance(result, Mapping):
        fields = dict(result)
        unknown = set(fields) - _DICT_KEYS
        if unknown:
            raise ValueError(f"transport result: unknown keys {sorted(unknown)} (known: {sorted(_DICT_KEYS)})")
        if fields.get("kind") not in _KINDS:
            raise ValueError(
                f"transport result: kind must be \"accepted\", \"temporary\" or \"permanent\", not {fields.get('kind')!r}"
            )
    else:
        raise TypeError(
            "a transport's send() must return outreach.Accepted(), outreach.Temporary(reason), "
            f"outreach.Permanent(reason) or a dict with \"kind\", not {type(result).__name__}"
        )
    code = fields.get("code")
    if code is None:
        code = 0
    if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code <= 999:
        raise ValueError(f"transport result: code must be an SMTP reply code (a number), not {code!r}")
    for key in ("reason", "status", "queue_id"):
        value = fields.get(key)
        if value is not None and not isinstance(value, str):
            raise TypeError(f"transport result: {key} must be a str or None, not {type(value).__name__}")
    return {
        "kind": _KINDS[fields["kind"]],
        "code": code,
        "status": fields.get("status"),
        "reason": fields.get("reason"),
        "queue_id": fields.get("queue_id"),
    }
