"""SMTP sending: :class:`SmtpTransport` for messages composed by the host (``outreach_smtp``), its
:class:`SendOutcome`, and the settings and callbacks it shares with ``Engine(transport="mailbox")``.

::

    with outreach.SmtpTransport(credentials=lambda mailbox, mechanism, refresh: ("mo", password)) as smtp:
        outcome = smtp.send(
            {"id": "mo", "from": "Mo <mo@acme.example>", "transport": "smtp://smtp.acme.example:587",
             "username": "mo@acme.example"},
            "mo@acme.example", "ann@one.example", message.as_bytes(policy=email.policy.SMTP))
        if not outcome.accepted:
            print(outcome.kind, outcome.code, outcome.reason)
"""

from __future__ import annotations

import ctypes
import datetime as _datetime
import json
import threading
import weakref
from ctypes import byref, c_size_t, c_void_p
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

from ._handle import Handle
from ._library import (
    SMTP_CALLBACKS_VERSION,
    SMTP_CREDENTIALS_FN,
    SMTP_DONE_FN,
    SMTP_TRACE_FN,
    SmtpCallbacks,
    SmtpPointer,
    check,
    encode,
    lib,
    to_json_text,
)
from .errors import Busy, InvalidArgument

__all__ = ["SendOutcome", "SmtpTransport", "Credentials", "CredentialsCallback", "TraceCallback"]

#: What a credentials callback returns: ``(username, secret)`` (``username`` ``None`` for the
#: mailbox's own ``username``), the secret alone, or ``None`` when it has no login for the mailbox.
Credentials = Union[Tuple[Optional[str], str], str, None]
#: ``credentials(mailbox_id, mechanism, refresh)``: ``mechanism`` is ``"plain"``, ``"login"`` or
#: ``"xoauth2"``; ``refresh`` is true when the server refused the secret given last time (fetch a
#: new OAuth2 access token then).
CredentialsCallback = Callable[[str, str, bool], Credentials]
#: ``trace(line)``: each protocol line, ``"C: ..."`` or ``"S: ..."``, secrets redacted.
TraceCallback = Callable[[str], object]
#: A duration: seconds (a number), a ``datetime.timedelta``, or the format's duration dict
#: (``{"seconds": 30}``, ``{"minutes": 1}``, ...).
Duration = Union[int, float, _datetime.timedelta, Mapping[str, int]]
#: A mailbox: the campaign format's mailbox object, as a dict or as JSON text.
MailboxSource = Union[Mapping[str, Any], str]


@dataclass(frozen=True)
class SendOutcome:
    """How a send ended.

    Attributes:
        kind: ``"accepted"`` (event ``sent``), ``"temporary"`` (try again later: 4xx, a network
            fault, 5.2.2) or ``"permanent"`` (refused for good: other 5xx).
        code: The SMTP reply code, such as 250 or 421; 0 when there was none (a network fault).
        status: The enhanced status code, such as ``"2.0.0"`` or ``"5.1.1"``, when given.
        reason: What the server or the network said (never credentials), when known.
        queue_id: The server's queue id of an accepted message, when it gave one.
        maybe_delivered: For a temporary outcome: the whole message went out but the connection
            was lost before the server's reply, so it may have been delivered anyway.
    """

    kind: str
    code: int = 0
    status: Optional[str] = None
    reason: Optional[str] = None
    queue_id: Optional[str] = None
    maybe_delivered: bool = False

    @property
    def accepted(self) -> bool:
        """Whether the server took the message."""
        return self.kind == "accepted"

    @property
    def temporary(self) -> bool:
        """Whether trying again later may work."""
        return self.kind == "temporary"

    @property
    def permanent(self) -> bool:
        """Whether the server refused the message for good."""
        return self.kind == "permanent"

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> "SendOutcome":
        """The outcome from the JSON object the C interface gives (empty strings become ``None``)."""
        fields = json.loads(text)
        return cls(
            kind=fields["kind"],
            code=int(fields.get("code") or 0),
            status=fields.get("status") or None,
            reason=fields.get("reason") or None,
            queue_id=fields.get("queue_id") or None,
            maybe_delivered=bool(fields.get("maybe_delivered")),
        )


# ---- settings ----------------------------------------------------------------------------------

_TIMEOUT_NAMES = ("connect", "tls", "command", "data", "idle", "retry_setup")


def _duration(value: Any, what: str) -> Any:
    """A timeout as the duration object of the C interface (a dict is passed on as it is)."""
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, _datetime.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgument(f"{what}: expected seconds, a timedelta or a duration dict, not {type(value).__name__}")
    return {"milliseconds": int(round(value * 1000))}


def settings_text(settings: Optional[Mapping[str, Any]]) -> Optional[str]:
    """SMTP settings (``helo_name``, ``connections_per_mailbox``, ``pipelining``, ``timeouts``)
    as the JSON text of the C interface; ``None`` values are left out. Timeouts may be numbers of
    seconds or timedeltas; everything else, unknown keys included, is for the library to judge."""
    if settings is None:
        return None
    if not isinstance(settings, Mapping):
        raise InvalidArgument(f"smtp settings: expected a dict, not {type(settings).__name__}")
    result: Dict[str, Any] = {key: value for key, value in settings.items() if value is not None}
    timeouts = result.get("timeouts")
    if isinstance(timeouts, Mapping):
        result["timeouts"] = {
            name: _duration(value, f"timeouts.{name}") for name, value in timeouts.items() if value is not None
        }
    return to_json_text(result, "smtp settings")


# ---- the credentials and trace callbacks ---------------------------------------------------------


class SmtpCallbackSet:
    """The ``outreach_smtp_callbacks`` of an engine or an :class:`SmtpTransport` (or, with
    ``struct_type=ImapCallbacks``, the ``outreach_imap_callbacks`` of an engine or an
    :class:`ImapReader`, which have the same layout): the host's Python callables behind ctypes
    callbacks. An exception they raise goes to ``on_failure`` (nothing may cross into C); the C
    side then sees a failed callback."""

    def __init__(
        self,
        credentials: Optional[CredentialsCallback],
        trace: Optional[TraceCallback],
        on_failure: Callable[[BaseException, str], None],
        struct_type: Any = SmtpCallbacks,
        version: int = SMTP_CALLBACKS_VERSION,
    ) -> None:
        if credentials is not None and not callable(credentials):
            raise TypeError(f"credentials: {type(credentials).__name__} is not callable")
        if trace is not None and not callable(trace):
            raise TypeError(f"trace: {type(trace).__name__} is not callable")
        self._credentials = credentials
        self._trace = trace
        self._on_failure = on_failure
        # The login given last: the library copies it after the callback returns.
        self._login: Tuple[Optional[bytes], Optional[bytes]] = (None, None)
        self._credentials_function = SMTP_CREDENTIALS_FN(self._give_credentials) if credentials else SMTP_CREDENTIALS_FN(0)
        self._trace_function = SMTP_TRACE_FN(self._give_trace) if trace else SMTP_TRACE_FN(0)
        self.struct = struct_type()
        self.struct.version = version
        self.struct.credentials = self._credentials_function
        self.struct.trace = self._trace_function

    @property
    def pointer(self) -> Any:
        """The ``const outreach_smtp_callbacks *`` (or IMAP) to pass (the struct stays alive with this object)."""
        return ctypes.pointer(self.struct)

    def forget_login(self) -> None:
        """Drops the last login once the library has copied it."""
        self._login = (None, None)

    def _give_credentials(
        self, mailbox_id: Optional[bytes], mechanism: Optional[bytes], refresh: int, filled: Any, user_data: Any
    ) -> int:
        try:
            assert self._credentials is not None
            result = self._credentials(
                (mailbox_id or b"").decode("utf-8"), (mechanism or b"").decode("utf-8"), bool(refresh)
            )
            if result is None:
                return 1  # no login for this mailbox: a temporary failure, not a bug
            if isinstance(result, str):
                username, secret = None, result
            elif isinstance(result, (tuple, list)) and len(result) == 2:
                username, secret = result
            else:
                raise TypeError(
                    "a credentials callback returns (username, secret), the secret alone, or None, "
                    f"not {type(result).__name__}"
                )
            if not isinstance(secret, str) or (username is not None and not isinstance(username, str)):
                raise TypeError("credentials: the username must be a str or None, and the secret a str")
            self._login = (encode(username, "credentials: username"), encode(secret, "credentials: the secret"))
            contents = filled.contents
            contents.username, contents.secret = self._login
            return 0
        except BaseException as error:  # noqa: BLE001 - carried out of the library's call
            self._on_failure(error, "the credentials callback")
            return 1

    def _give_trace(self, line: Optional[bytes], user_data: Any) -> None:
        try:
            assert self._trace is not None
            self._trace((line or b"").decode("utf-8", "replace"))
        except BaseException as error:  # noqa: BLE001 - carried out of the library's call
            self._on_failure(error, "the trace callback")


class CallbackCarrier:
    """What a handle with credentials and trace callbacks shares (:class:`SmtpTransport`,
    :class:`outreach.ImapReader`): one call at a time, and the first exception a callback raised
    kept and raised by the call running once the library is done. ``_what`` names the handle in
    messages; ``_lock``, ``_callbacks`` and ``_failure`` are set by its ``__init__``."""

    _what = ""
    _lock: threading.RLock
    _callbacks: SmtpCallbackSet
    _failure: Optional[BaseException]

    def _using(self) -> "_Using":
        return _Using(self)

    def _after(self, status: int) -> None:
        """Raises a callback's exception first, then the status's error; forgets the login."""
        self._callbacks.forget_login()
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure
        check(status)

    def _callback_failed(self, error: BaseException, where: str) -> None:
        if self._failure is None:
            add_note = getattr(error, "add_note", None)
            if add_note is not None:
                add_note(f"raised in {where}, called by the outreach {self._what}")
            self._failure = error


def failure_hook(this: "weakref.ref[Any]") -> Callable[[BaseException, str], None]:
    """Where an exception of a :class:`CallbackCarrier`'s callback goes (through a weak
    reference: no cycle)."""
    def failed(error: BaseException, where: str) -> None:
        carrier = this()
        if carrier is not None:
            carrier._callback_failed(error, where)

    return failed


class _Using:
    """One call at a time from Python's side too: a second thread gets :class:`Busy` at once."""

    def __init__(self, carrier: CallbackCarrier) -> None:
        self._carrier = carrier
        self._acquired = False

    def __enter__(self) -> None:
        self._acquired = self._carrier._lock.acquire(blocking=False)
        if not self._acquired:
            raise Busy(f"the {self._carrier._what} is in use by another thread (it is used by one thread at a time)")

    def __exit__(self, *exc_info: Any) -> None:
        if self._acquired:
            self._carrier._lock.release()


# ---- the transport -------------------------------------------------------------------------------


def _mailbox_text(mailbox: MailboxSource) -> bytes:
    if isinstance(mailbox, Mapping):
        text = to_json_text(dict(mailbox), "mailbox")
    elif isinstance(mailbox, str):
        text = mailbox
    else:
        raise InvalidArgument(f"mailbox: expected a dict or JSON text, not {type(mailbox).__name__}")
    encoded = encode(text, "mailbox")
    assert encoded is not None
    return encoded


def _data_bytes(data: Any) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise InvalidArgument(
        f"data: expected the message as bytes (CRLF line ends, such as message.as_bytes(policy=email.policy.SMTP)), "
        f"not {type(data).__name__}"
    )


def _envelope(address: str, what: str) -> bytes:
    encoded = encode(address, what)
    if encoded is None:
        raise InvalidArgument(f"{what}: expected a str, not None")
    return encoded


class SmtpTransport(CallbackCarrier, Handle):
    """An SMTP client for messages you compose yourself (``outreach_smtp``): it sends each
    message through the server of the mailbox given with it, keeps connections per mailbox open
    and reuses them, and signs messages whose mailbox has ``dkim`` settings.

    Args:
        helo_name: The name sent with EHLO (default: this machine's fully qualified name, else
            the local address as a literal such as ``[192.0.2.1]``).
        connections_per_mailbox: Most connections open at once to one mailbox's server (default 2).
        pipelining: Use PIPELINING when the server offers it (default true).
        timeouts: Any of ``connect``, ``tls``, ``command``, ``data``, ``idle``,
            ``retry_setup``: seconds, a ``timedelta`` or a duration dict such as
            ``{"seconds": 30}``.
        credentials: ``credentials(mailbox_id, mechanism, refresh)`` returning ``(username,
            secret)``, the secret alone (the mailbox's ``username`` is used), or ``None`` (no
            login: the send fails, temporarily). Without it, each mailbox's password (or token)
            comes from the environment variable its ``password_env`` (``token_env``) names.
        trace: ``trace(line)`` receives the protocol, ``"C: ..."`` and ``"S: ..."`` lines, with
            secrets written as ``<redacted>`` and without message data.

    Raises:
        UnknownKey, InvalidValue: Settings the library does not accept (the message names them).

    A callback that raises makes the call that runs it (``send``, ``flush``, ``close``) raise that
    exception once the library's work is done. Used by one thread at a time; as a context manager
    it is closed (QUIT on every connection) at the end of the block.
    """

    _free_function = "outreach_smtp_free"
    _pointer_type = SmtpPointer

    _what = "SMTP transport"

    def __init__(
        self,
        *,
        helo_name: Optional[str] = None,
        connections_per_mailbox: Optional[int] = None,
        pipelining: Optional[bool] = None,
        timeouts: Optional[Mapping[str, Duration]] = None,
        credentials: Optional[CredentialsCallback] = None,
        trace: Optional[TraceCallback] = None,
    ) -> None:
        self._lock = threading.RLock()
        self._failure: Optional[BaseException] = None
        self._pending: Dict[int, Optional[Callable[[SendOutcome], object]]] = {}
        self._finished: List[Tuple[int, SendOutcome]] = []
        self._next_ticket = 1
        settings = settings_text(
            {
                "helo_name": helo_name,
                "connections_per_mailbox": connections_per_mailbox,
                "pipelining": pipelining,
                "timeouts": timeouts,
            }
        )
        # The callbacks reach the transport through a weak reference: no cycle, so dropping the
        # last reference frees it at once.
        this = weakref.ref(self)
        self._callbacks = SmtpCallbackSet(credentials, trace, failure_hook(this))
        self._done_function = SMTP_DONE_FN(_done_trampoline(this))
        out = SmtpPointer()
        check(lib().outreach_smtp_open(byref(out), encode(settings, "settings"), self._callbacks.pointer))
        super().__init__(out)

    # ---- sending ----------------------------------------------------------------------------------

    def send(
        self, mailbox: MailboxSource, envelope_from: str, envelope_to: str, data: bytes, smtputf8: bool = False
    ) -> SendOutcome:
        """Sends one message and waits for its outcome. Delivery problems are outcomes, not
        exceptions.

        Args:
            mailbox: The sending mailbox: a mailbox object of the campaign format (``id``,
                ``from``, ``transport`` = ``smtp://`` or ``smtps://`` URL, ``security``,
                ``username``, ``auth``, ``password_env``, ``token_env``, ``ca_file``, ``dkim``;
                ``daily_limit`` may be left out), as a dict or JSON text.
            envelope_from: ``MAIL FROM``; ``""`` for the null reverse path.
            envelope_to: ``RCPT TO``.
            data: The whole message as bytes, CRLF line ends, no dot-stuffing.
            smtputf8: True when a header has a non-ASCII address (the server must offer
                SMTPUTF8); an envelope address with a non-ASCII local part implies it.

        Raises:
            InvalidValue, UnknownKey, ParseError: A mailbox that is not a mailbox object or that
                cannot send over SMTP, an envelope address that is not an address, data with a
                bare CR or LF or a NUL byte.
            NotFound, IoError: A ``ca_file`` or DKIM key file that cannot be read.
        """
        arguments = (
            _mailbox_text(mailbox),
            _envelope(envelope_from, "envelope_from"),
            _envelope(envelope_to, "envelope_to"),
        )
        payload = _data_bytes(data)
        out = c_void_p()
        with self._using():
            status = lib().outreach_smtp_send(
                self._handle(), *arguments, payload, len(payload), 1 if smtputf8 else 0, byref(out)
            )
            text = ctypes.string_at(out.value) if out.value else b""
            lib().outreach_string_free(out)
            self._after(status)
        return SendOutcome.from_json(text)

    def submit(
        self,
        mailbox: MailboxSource,
        envelope_from: str,
        envelope_to: str,
        data: bytes,
        smtputf8: bool = False,
        done: Optional[Callable[[SendOutcome], object]] = None,
    ) -> None:
        """Queues a message (checked and signed now); :meth:`flush` sends it, pipelined with the
        others of its mailbox, and gives its outcome (also to ``done``, if given).

        Arguments and errors as for :meth:`send`; a message that raised is not queued.
        """
        if done is not None and not callable(done):
            raise TypeError(f"done: {type(done).__name__} is not callable")
        arguments = (
            _mailbox_text(mailbox),
            _envelope(envelope_from, "envelope_from"),
            _envelope(envelope_to, "envelope_to"),
        )
        payload = _data_bytes(data)
        with self._using():
            ticket = self._next_ticket
            status = lib().outreach_smtp_submit(
                self._handle(),
                *arguments,
                payload,
                len(payload),
                1 if smtputf8 else 0,
                self._done_function,
                c_void_p(ticket),
            )
            self._after(status)
            self._next_ticket += 1
            self._pending[ticket] = done

    def flush(self) -> List[SendOutcome]:
        """Sends everything queued and returns when each message has its outcome.

        Returns:
            The outcomes of the messages queued since the last flush, in the order they were
            submitted (each was also given to its ``done`` callable).
        """
        with self._using():
            self._after(lib().outreach_smtp_flush(self._handle()))
            return self._take_finished()

    @property
    def connections_opened(self) -> int:
        """How many connections this transport has opened so far: reuse shows here."""
        out = c_size_t()
        check(lib().outreach_smtp_connections_opened(self._handle(), byref(out)))
        return int(out.value)

    def close(self) -> None:
        """Says QUIT on every connection and frees the client; messages still queued get a
        temporary outcome (through their ``done``). Calling it again does nothing."""
        lock = getattr(self, "_lock", None)
        if lock is None or self._pointer is None:  # __init__ failed, or closed already
            return
        with self._using():
            try:
                self._after(lib().outreach_smtp_close(self._handle()))
            finally:
                self._take_finished()
                super().close()

    # ---- plumbing ---------------------------------------------------------------------------------

    def _give_outcome(self, outcome_json: Optional[bytes], user_data: Optional[int]) -> int:
        try:
            outcome = SendOutcome.from_json(outcome_json or b"{}")
            ticket = int(user_data or 0)
            self._finished.append((ticket, outcome))
            done = self._pending.pop(ticket, None)
            if done is not None:
                done(outcome)
            return 0
        except BaseException as error:  # noqa: BLE001 - carried out of the library's call
            self._callback_failed(error, "a submitted message's done callback")
            return 1

    def _take_finished(self) -> List[SendOutcome]:
        finished, self._finished = self._finished, []
        return [outcome for _, outcome in sorted(finished, key=lambda item: item[0])]

    def __repr__(self) -> str:
        return "<outreach.SmtpTransport (closed)>" if self.closed else "<outreach.SmtpTransport>"


def _done_trampoline(this: "weakref.ref[SmtpTransport]") -> Callable[[Optional[bytes], Optional[int]], int]:
    """The ``outreach_smtp_done_fn``: each submitted message's outcome, to its ``done``."""
    def done(outcome_json: Optional[bytes], user_data: Optional[int]) -> int:
        transport = this()
        return 1 if transport is None else transport._give_outcome(outcome_json, user_data)

    return done
