"""The engine: campaigns running over a store, a transport and a clock, with their event log and
analytics; and :func:`simulate`, the ``outreach simulate`` command as one call."""

from __future__ import annotations

import ctypes
import json
import logging
import os
import sys
import threading
import warnings as _warnings
import weakref
from ctypes import byref, c_size_t, c_void_p
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from ._handle import Handle
from ._instant import Instant, instant_text
from ._library import (
    ENGINE_DISCARD_EVENTS,
    ENGINE_DURABLE_POWER,
    ENGINE_NO_MAIL_READING,
    ENGINE_OPTIONS_VERSION,
    EVENT_FN,
    IMAP_CALLBACKS_VERSION,
    LOG_ERROR,
    LOG_INFO,
    LOG_FN,
    SEND_FN,
    TRANSPORT_CUSTOM,
    TRANSPORT_DRY_RUN,
    TRANSPORT_MAILBOX,
    TRANSPORT_OUTBOX,
    TRANSPORT_VERSION,
    EngineOptions,
    EnginePointer,
    ImapCallbacks,
    TransportStruct,
    check,
    encode,
    encode_path,
    lib,
    take_json,
    take_string,
    to_json_text,
)
from .campaign import Campaign
from .errors import (
    Busy,
    Error,
    InvalidArgument,
    InvalidUtf8,
    InvalidValue,
    IoError,
    LimitExceeded,
    MissingField,
    NotFound,
    OutreachWarning,
    ParseError,
    UnknownKey,
)
from .smtp import CredentialsCallback, SmtpCallbackSet, TraceCallback, settings_text
from .store import SuppressionImport, suppression_import_of
from .transport import Message, outcome_of

__all__ = ["Engine", "simulate", "Instant", "EventListener"]

PathLike = Union[str, "os.PathLike[str]"]
#: An event listener: called with each event as a dict (or, with ``raw=True``, its JSON line).
EventListener = Callable[[Any], object]
#: What an inbound script may be: a JSONL file's path, or an iterable of dicts (or JSON lines).
InboundScript = Union[PathLike, Iterable[Union[Mapping[str, Any], str]]]
#: What :meth:`Engine.add_campaign` takes.
CampaignSource = Union[Campaign, PathLike, Mapping[str, Any]]

# Errors that make an inbound line bad input: the line is reported and left out, as the CLI does.
_BAD_LINE_ERRORS = (ParseError, InvalidValue, UnknownKey, MissingField, InvalidUtf8, LimitExceeded, NotFound)

#: Where what the engine says it is doing goes (such as a mailbox read again after a failure).
_logger = logging.getLogger("outreach")


def _warn(message: str) -> None:
    """Gives a message to the ``warnings`` module as an :class:`OutreachWarning`, attributed to
    the first caller outside this package."""
    package = os.path.dirname(os.path.abspath(__file__))
    level = 2
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == package:
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    _warnings.warn(message, OutreachWarning, stacklevel=level)


def _add_note(error: BaseException, note: str) -> None:
    """Adds a note to an exception's traceback (Python 3.11 and later; nothing before)."""
    add_note = getattr(error, "add_note", None)
    if add_note is not None:
        add_note(note)


class Engine(Handle):
    """Runs campaigns over one store, one transport and one clock (``outreach_engine``).

    Args:
        store: ``None`` to keep the engine's state (event log, send log, suppression list) in
            memory, where it ends with the engine; or the path of a SQLite store file (made
            when missing; its folder must exist), or a ``postgresql://`` URI of a PostgreSQL
            database (its schema made or upgraded), that keeps all of it. The engine holds the
            store's lock until it is closed, and a campaign added and started that the store
            has already goes on where it was (its stored events are not given again).
        durability: With a ``store``: ``"process"`` (the default), each write survives a killed
            or crashed process; ``"power"``, each write also waits for the disk, so that it
            survives a power cut (slower: disk flushes per send).
        transport: ``None`` for a dry run (every message accepted, nothing written), any object
            with a ``send(message)`` method (see :class:`outreach.Transport`), or ``"mailbox"``:
            each message goes where its mailbox's ``transport`` says, over SMTP for
            ``smtp://``/``smtps://`` (with ``smtp``, ``credentials`` and ``smtp_trace``) or into
            the Maildir of ``outbox:DIR``. Adding a campaign then checks its mailboxes.
        outbox: A folder: write every message as a ``.eml`` file into this Maildir (its ``new/``
            folder, made when missing), named after its Message-ID. Not with ``transport``.
        keep_events: Keep every event for :meth:`events` (the default). ``False`` for long
            simulations: the events are counted and given to the :meth:`on_event` listener only.
        smtp: For ``transport="mailbox"``: the SMTP settings, a dict with any of ``helo_name``,
            ``connections_per_mailbox``, ``pipelining`` and ``timeouts`` (as for
            :class:`outreach.SmtpTransport`).
        credentials: For ``transport="mailbox"``: ``credentials(mailbox_id, mechanism,
            refresh)``, as for :class:`outreach.SmtpTransport`; without it, the environment
            variables the mailboxes name.
        smtp_trace: For ``transport="mailbox"``: ``smtp_trace(line)`` receives the protocol.
        read_mail: :meth:`run` reads every mailbox that has ``imap`` settings while it runs, as
            ``outreach run`` does (the default): replies, bounces, auto-replies, unsubscribe
            requests and complaints are applied as they arrive, and sends left in doubt are
            settled through the Sent folder. ``False``: it does not.
        imap_credentials: ``imap_credentials(mailbox_id, mechanism, refresh)`` for IMAP logins
            (``mechanism`` ``"plain"``, ``"login"`` or ``"xoauth2"``), returning as
            ``credentials`` does; without it, the environment variables the mailboxes name.
        imap_trace: ``imap_trace(line)`` receives the IMAP protocol (secrets redacted).

    Raises:
        Unavailable: Another engine holds the store (the message names the file and the
            holder's process id).
        InvalidValue: ``store`` is not an outreach store (not SQLite, another application's
            database), is of a newer schema, or is damaged; the file is left as it was.
        NotFound: The store's folder, or the database, does not exist.
        InvalidArgument: Both ``transport`` and ``outbox``; SMTP options without
            ``transport="mailbox"``; ``durability="power"`` without a ``store``, or another
            ``durability``.
        UnknownKey, InvalidValue: SMTP settings the library does not accept.
        IoError: The outbox cannot be made.

    An engine is used by one thread at a time; a call from a second thread while one is inside
    raises :class:`Busy`, except :meth:`stop`, which any thread may call at any time. Use it as a
    context manager, or call :meth:`close`::

        with outreach.Engine() as engine:
            engine.add_campaign("campaign.json")
            summary = engine.simulate(inbound="inbound.jsonl")
    """

    _free_function = "outreach_engine_free"
    _pointer_type = EnginePointer

    def __init__(
        self,
        store: Optional[PathLike] = None,
        transport: Optional[Any] = None,
        outbox: Optional[PathLike] = None,
        *,
        keep_events: bool = True,
        durability: str = "process",
        smtp: Optional[Mapping[str, Any]] = None,
        credentials: Optional[CredentialsCallback] = None,
        smtp_trace: Optional[TraceCallback] = None,
        read_mail: bool = True,
        imap_credentials: Optional[CredentialsCallback] = None,
        imap_trace: Optional[TraceCallback] = None,
    ) -> None:
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._active: Dict[int, int] = {}  # thread id -> how many calls deep
        self._closing = False
        self._failure: Optional[BaseException] = None
        self._log: List[Tuple[int, str]] = []
        self._listener: Optional[Tuple[EventListener, bool]] = None
        self._outcome_strings: Tuple[Optional[bytes], ...] = ()

        if durability not in ("process", "power"):
            raise InvalidArgument(f"durability: {durability!r} is not \"process\" or \"power\"")
        mailbox_transport = isinstance(transport, str)
        if mailbox_transport and transport != "mailbox":
            raise InvalidArgument(f"transport: {transport!r} is not \"mailbox\" (or an object with a send method)")
        if not mailbox_transport and (smtp is not None or credentials is not None or smtp_trace is not None):
            raise InvalidArgument("smtp, credentials and smtp_trace are for transport=\"mailbox\"")
        if transport is not None and outbox is not None:
            raise InvalidArgument("give a transport or an outbox, not both")
        if transport is not None and not mailbox_transport and not callable(getattr(transport, "send", None)):
            raise TypeError(f"transport: {type(transport).__name__} has no send(message) method")
        if mailbox_transport:
            transport = None
        self._transport = transport

        # The callbacks reach the engine through a weak reference (no cycle), and the engine
        # keeps them alive as long as the C engine may call them.
        this = weakref.ref(self)
        self._log_callback = LOG_FN(_log_trampoline(this))
        self._event_callback = EVENT_FN(_event_trampoline(this))
        self._send_callback = SEND_FN(_send_trampoline(this)) if transport is not None else None

        options = EngineOptions()
        options.version = ENGINE_OPTIONS_VERSION
        options.flags = (
            (0 if keep_events else ENGINE_DISCARD_EVENTS)
            | (ENGINE_DURABLE_POWER if durability == "power" else 0)
            | (0 if read_mail else ENGINE_NO_MAIL_READING)
        )
        options.log = self._log_callback
        self._imap_callbacks: Optional[SmtpCallbackSet] = None
        if imap_credentials is not None or imap_trace is not None:
            self._imap_callbacks = SmtpCallbackSet(
                imap_credentials, imap_trace, _smtp_failure_hook(this), ImapCallbacks, IMAP_CALLBACKS_VERSION
            )
            options.imap_callbacks = self._imap_callbacks.pointer
        self._transport_struct: Optional[TransportStruct] = None
        self._smtp_callbacks: Optional[SmtpCallbackSet] = None
        if mailbox_transport:
            self._smtp_callbacks = SmtpCallbackSet(credentials, smtp_trace, _smtp_failure_hook(this))
            options.transport = TRANSPORT_MAILBOX
            options.smtp_settings = encode(settings_text(smtp), "smtp")
            options.smtp_callbacks = self._smtp_callbacks.pointer
        elif transport is not None:
            self._transport_struct = TransportStruct()
            self._transport_struct.version = TRANSPORT_VERSION
            self._transport_struct.needs_message_data = 1 if getattr(transport, "needs_message_data", True) else 0
            self._transport_struct.send = self._send_callback
            options.transport = TRANSPORT_CUSTOM
            options.custom_transport = ctypes.pointer(self._transport_struct)
        elif outbox is not None:
            options.transport = TRANSPORT_OUTBOX
            options.outbox_dir = encode_path(outbox, "outbox")
        else:
            options.transport = TRANSPORT_DRY_RUN

        out = EnginePointer()
        store_path = None if store is None else encode_path(store, "store")
        check(lib().outreach_engine_open(byref(out), store_path, byref(options)))
        super().__init__(out)

    # ---- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        """Frees the engine. Calling it again does nothing.

        If another thread is inside a call of this engine (such as :meth:`run`), the engine is
        asked to stop and ``close`` waits for that call to return.

        Raises:
            Busy: Called from one of the engine's own callbacks (a transport or an event
                listener): an engine cannot be freed while it calls you.
        """
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ failed before the state was made
            return
        with lock:
            if self._pointer is None:
                return
            if threading.get_ident() in self._active:
                raise Busy("an Engine cannot be closed from its own callbacks, or while this thread is using it")
            self._closing = True
            if self._active:
                lib().outreach_engine_request_stop(self._pointer)
                while self._active:
                    self._idle.wait()
            pointer, self._pointer = self._pointer, None
        lib().outreach_engine_free(pointer)
        self._transport = None
        self._listener = None
        self._smtp_callbacks = None
        self._imap_callbacks = None

    def _enter(self) -> Tuple[EnginePointer, bool]:
        """Marks this thread as inside the engine; gives the pointer and whether this is the
        thread's outermost call (not one made from a callback)."""
        with self._lock:
            if self._closing or self._pointer is None:
                raise InvalidArgument("this Engine is closed")
            ident = threading.get_ident()
            depth = self._active.get(ident, 0)
            self._active[ident] = depth + 1
            return self._pointer, depth == 0  # type: ignore[return-value]

    def _leave(self) -> None:
        with self._lock:
            ident = threading.get_ident()
            depth = self._active.get(ident, 1) - 1
            if depth:
                self._active[ident] = depth
            else:
                self._active.pop(ident, None)
                self._idle.notify_all()

    def _call(self, name: str, *args: Any, summary: bool = False) -> Optional[Dict[str, Any]]:
        """Calls a C function that changes the engine, then raises what went wrong: first an
        exception a callback raised during the call, then the call's own error. With
        ``summary``, gives the summary taken right after (while the call still holds the engine,
        so that a ``close`` from another thread waits for it)."""
        pointer, outermost = self._enter()
        try:
            status = getattr(lib(), name)(pointer, *args)
            result = None
            if status == 0 and summary:
                result, status = _summary_of(pointer)
            self._after(status, outermost)
            return result
        finally:
            self._leave()

    def _after(self, status: int, outermost: bool) -> None:
        """Raises what a call came to: a callback's exception first (for the thread's outermost
        call only; calls made from a callback leave it to that call), then the status's error.
        Gives the engine's new log messages to the ``warnings`` module on the way."""
        error: Optional[Error] = None
        try:
            check(status)
        except Error as raised:
            error = raised
        for callbacks in (self._smtp_callbacks, self._imap_callbacks):
            if callbacks is not None:
                callbacks.forget_login()
        if outermost:
            failure, self._failure = self._failure, None
            self._emit_log()
            if failure is not None:
                raise failure
        if error is not None:
            raise error

    def _read(self, name: str, *args: Any) -> None:
        """Calls a C function that only reads the engine (allowed from its callbacks too)."""
        pointer, _ = self._enter()
        try:
            check(getattr(lib(), name)(pointer, *args))
        finally:
            self._leave()

    def _emit_log(self) -> None:
        """Gives the engine's warnings to the ``warnings`` module and what it says it is doing (a
        mailbox read again) to the ``outreach`` logger, on the calling thread."""
        messages, self._log = self._log, []
        for level, message in messages:
            if level == LOG_INFO:
                _logger.info("%s", message)
            else:
                _warn(message)

    def _callback_failed(self, error: BaseException, where: str, stop: bool) -> None:
        """Keeps the first exception a callback raised, to raise it from the call that is running."""
        if self._failure is None:
            _add_note(error, f"raised in {where}, called by the outreach engine; the engine stopped")
            self._failure = error
        if stop and self._pointer is not None:
            lib().outreach_engine_request_stop(self._pointer)

    # ---- campaigns ---------------------------------------------------------------------------

    def add_campaign(self, campaign: CampaignSource, *, start: bool = True) -> str:
        """Adds a campaign and, like ``outreach simulate``, starts it (unless ``start=False``:
        then it stays a ``draft`` until :meth:`start`).

        Args:
            campaign: A :class:`Campaign`, the path of a ``campaign.json``, or a dict of the
                format (relative paths in it start from the working directory). For a path or a
                dict, lead rows that were left out are reported as :class:`OutreachWarning`, as
                the command line does.
            start: Start it at once: its leads enter at the schedule's start (or, before the
                engine has a clock, when the first :meth:`simulate` or :meth:`run` gives it one).

        Returns:
            The campaign's name.

        Raises:
            InvalidArgument: A campaign of that name was added already, or a closed Campaign.
            Busy: Called from a callback of this engine, or while another thread uses it.
        """
        if isinstance(campaign, Campaign):
            return self._add(campaign, start)
        if isinstance(campaign, Mapping):
            loaded = Campaign.from_dict(dict(campaign))
        else:
            loaded = Campaign.load(campaign)
        with loaded:
            for problem in loaded.lead_problems:
                _warn(str(problem.get("text", problem.get("message", ""))))
            return self._add(loaded, start)

    def _add(self, campaign: Campaign, start: bool) -> str:
        """Adds a loaded campaign (the engine keeps a copy) and starts it if asked."""
        name = campaign.name
        self._call("outreach_engine_add_campaign", campaign._handle())
        if start:
            self.start(name)
        return name

    def start(self, name: str) -> None:
        """Starts a campaign: its leads enter at the schedule's start, or at the clock's time if
        later. Starting a campaign that is not a draft does nothing.

        Raises:
            NotFound: No campaign has that name.
        """
        self._call("outreach_engine_start", encode(name, "name"))

    def pause(self, name: str) -> None:
        """Pauses a running campaign (event ``campaign_paused``, reason ``request``): nothing is
        sent for it until :meth:`resume`. Pausing one that is not running does nothing.

        Raises:
            NotFound: No campaign has that name.
        """
        self._call("outreach_engine_pause", encode(name, "name"))

    def resume(self, name: str) -> None:
        """Resumes a paused campaign (event ``campaign_resumed``, reason ``request``).

        Raises:
            NotFound: No campaign has that name.
        """
        self._call("outreach_engine_resume", encode(name, "name"))

    # ---- inbound -----------------------------------------------------------------------------

    def apply(self, event: Union[Mapping[str, Any], str]) -> None:
        """Queues something that came back for a lead, applied at its ``at`` (at once if the clock
        has passed it), as if the message had arrived then.

        Args:
            event: One inbound event: ``{"at": "...", "lead": "...", "type": "reply" |
                "auto_reply" | "bounce" | "unsubscribe" | "complaint", "kind": "hard" | "soft",
                "return_date": "YYYY-MM-DD", "campaign": "..."}``, or its JSON line.

        Raises:
            ParseError, InvalidValue, UnknownKey: Not an inbound event.
            NotFound: No campaign (or not the one named) has the lead; nothing changes.
        """
        line = to_json_text(dict(event) if isinstance(event, Mapping) else event, "event")
        self._call("outreach_engine_queue_inbound", encode(line, "event"))

    def _queue_script(self, inbound: InboundScript) -> int:
        """Queues an inbound script; bad lines become warnings and are left out, as the command
        line does. Gives how many were queued."""
        queued = 0
        for where, item in _inbound_items(inbound):
            try:
                if isinstance(item, Mapping):
                    line = to_json_text(dict(item), "the line")
                elif isinstance(item, str):
                    line = item
                else:
                    raise InvalidArgument(f"expected a dict or a JSON line, not {type(item).__name__}")
                self._call("outreach_engine_queue_inbound", encode(line, "inbound line"))
            except _BAD_LINE_ERRORS as error:
                _warn_left_out(where, error)
                continue
            except InvalidArgument as error:
                if self.closed:
                    raise
                _warn_left_out(where, error)
                continue
            queued += 1
        return queued

    def ingest(self, raw: Union[bytes, bytearray, memoryview, str]) -> Dict[str, Any]:
        """Takes in one received message — a reply, an auto-reply, a bounce, a spam complaint, an
        unsubscribe request — as ``outreach ingest`` does: classifies it, matches it to one of
        the engine's sends (``In-Reply-To``, then ``References``, then the Message-ID a report
        encloses, then the address a report names or the sender's), and applies it now through
        the campaign's stop rules, bounce settings and the suppression list. Nothing is sent;
        the events it causes go to :meth:`events` and the listener as any other.

        An engine that has not simulated or run yet takes the system clock for it (the message
        arrives now; the engine cannot :meth:`simulate` afterwards); after :meth:`simulate` the
        message arrives at the simulated clock's time.

        Args:
            raw: The message as received: ``bytes`` (any bytes, NUL included), or a ``str``
                (encoded as UTF-8; characters decoded with ``surrogateescape`` get their bytes
                back).

        Returns:
            What the message was and what it matched, as a dict: ``class`` (``"reply"``,
            ``"auto_reply"``, ``"bounce"``, ``"complaint"``, ``"unsubscribe"`` or
            ``"unknown"``), ``kind`` (bounces: ``"hard"`` or ``"soft"``), ``campaign``,
            ``lead`` and ``step`` (``None`` when nothing matched), ``matched_by``, ``duplicate``
            (``True`` when the message was taken in before: nothing changed this time),
            ``evidence`` (why, one clue a line) and, when found, ``status``, ``diagnostic``,
            ``recipient``, ``original_message_id``, ``return_date`` and ``from``. A message
            that matches nothing, or that is not mail at all, is no error: it changes nothing.

        Raises:
            InvalidValue: The message is larger than the library reads (64 MiB).
            IoError, Unavailable: The store cannot record it (nothing was applied).
            BaseException: Whatever the event listener raised.
        """
        if isinstance(raw, str):
            data = raw.encode("utf-8", "surrogateescape")
        elif isinstance(raw, (bytes, bytearray, memoryview)):
            data = bytes(raw)
        else:
            raise InvalidArgument(f"raw: expected the message as bytes or str, not {type(raw).__name__}")
        out = c_void_p()
        self._call("outreach_engine_ingest", data, len(data), byref(out))
        result: Dict[str, Any] = take_json(out)
        return result

    # ---- the store: suppression list, forgetting ---------------------------------------------

    def suppress(self, address: str, reason: str = "manual") -> None:
        """Adds an address to the suppression list of the engine's store (``outreach suppress
        add``): no campaign on the store sends to it again (a lead's next step is ``skipped``
        with reason ``suppressed``). An address on the list already keeps its entry.

        Args:
            address: The address, such as ``"ann@example.com"`` (spaces around it are dropped;
                no display name). The list keeps it in lower case.
            reason: Why, kept with the entry.

        Raises:
            InvalidValue: Not an address (the message quotes it and says why).
            InvalidArgument: An empty reason.
            IoError, Unavailable: The store cannot write.
        """
        self._call("outreach_engine_suppress", encode(address, "address"), encode(reason, "reason"))

    def unsuppress(self, address: str) -> None:
        """Removes an address from the suppression list (``outreach suppress remove``); one that
        is not on it is no error.

        Raises:
            InvalidValue: Not an address.
        """
        self._call("outreach_engine_unsuppress", encode(address, "address"))

    def suppressions(self) -> List[Dict[str, str]]:
        """The suppression list of the engine's store (``outreach suppress list``), ordered by
        address: ``[{"address": "ann@example.com", "reason": "manual"}, ...]``. Reasons are
        those given to :meth:`suppress` and imports, and ``unsubscribe``, ``complaint`` and
        ``hard_bounce`` for what the engine suppressed itself."""
        out = c_void_p()
        self._read("outreach_engine_suppressions", byref(out))
        result: List[Dict[str, str]] = take_json(out)
        return result

    def import_suppressions(self, path: PathLike, reason: str = "manual") -> SuppressionImport:
        """Adds every address of a file to the suppression list (``outreach suppress import``),
        in one write: all of them, or none when the store cannot write.

        The file is one address a line (blank lines and lines starting with ``#`` skipped), or,
        when its first line is a CSV header (it has a comma, or is ``email``), a CSV list with an
        ``email`` column, read as a lead list is. Lines that are not addresses are left out,
        reported as :class:`OutreachWarning` (``FILE:LINE: ... (line left out)``, as the command
        line prints them) and listed in the result's ``problems``.

        Returns:
            How many addresses were suppressed, and the lines left out.

        Raises:
            NotFound, IoError: The file cannot be read.
            ParseError, InvalidValue: A CSV list that cannot be read at all (no ``email``
                column, no valid row).
            IoError, Unavailable: The store cannot write (nothing was added).
        """
        out = c_void_p()
        self._call(
            "outreach_engine_import_suppressions", encode_path(path, "path"), encode(reason, "reason"), byref(out)
        )
        result = suppression_import_of(take_json(out))
        for problem in result.problems:
            _warn(f"{problem.get('text') or problem.get('message', '')} (line left out)")
        return result

    def forget(self, address: str) -> int:
        """Erases everything the engine's store holds about an address — its events and open
        send intents in every campaign — except its suppression entry (``outreach forget``).

        Campaigns added to this engine keep what they know of the lead in memory; suppress the
        address first so that nothing more is sent to it.

        Returns:
            How many records were erased.

        Raises:
            InvalidValue: Not an address.
            IoError, Unavailable: The store cannot write (nothing was erased).
        """
        out = c_size_t()
        self._call("outreach_engine_forget", encode(address, "address"), byref(out))
        return int(out.value)

    # ---- running -----------------------------------------------------------------------------

    def simulate(
        self,
        until: Optional[Instant] = None,
        inbound: Optional[InboundScript] = None,
        *,
        from_: Optional[Instant] = None,
    ) -> Dict[str, Any]:
        """Simulates on a manual clock, as ``outreach simulate`` does: the same decisions, the
        same events, the same summary.

        The first call gives the engine its clock, at ``from_`` (default: the earliest
        ``schedule.start`` of the campaigns added); it moves from one instant with something to
        do to the next until nothing is left (every lead ended, every inbound event applied) or
        until ``until``. A later call goes on from where the clock is.

        Args:
            until: The last instant to simulate (RFC 3339 text or an aware datetime); ``None``
                for no limit.
            inbound: An inbound script queued first: the path of a JSONL file (``--inbound``), or
                an iterable of dicts (or JSON lines). Bad lines, and lines for an address that
                is not a lead, are reported as :class:`OutreachWarning` and left out, as the
                command line does.
            from_: The instant to start from; not earlier than the clock.

        Returns:
            The summary, as :meth:`summary` (the object of ``outreach simulate --json``).

        Raises:
            InvalidArgument: An instant that is not RFC 3339, no ``from_`` and no campaign with a
                start, a ``from_`` earlier than the clock, or an engine that ran on the system
                clock.
            BaseException: Whatever a transport or event listener raised (the engine stopped).
        """
        start = encode(instant_text(from_, "from_"), "from_")
        last = encode(instant_text(until, "until"), "until")
        if inbound is not None:
            self._queue_script(inbound)
        result = self._call("outreach_engine_simulate", start, last, summary=True)
        assert result is not None
        return result

    def run(self, until: Optional[Instant] = None) -> Dict[str, Any]:
        """Runs on the system clock, in real time: blocks until nothing is left to do, ``until``
        passes, or :meth:`stop` is called.

        The engine runs in a worker thread (the transport and event listener are called there)
        while this thread waits, so Ctrl-C works: a ``KeyboardInterrupt`` asks the engine to stop
        after the send in progress, waits for it, and is raised again.

        Returns:
            The summary, as :meth:`summary`.

        Raises:
            InvalidArgument: ``until`` is not RFC 3339, or the engine simulated on a manual clock.
            KeyboardInterrupt: Ctrl-C (the engine stopped; a stop is final).
            BaseException: Whatever a transport or event listener raised (the engine stopped).
        """
        last = encode(instant_text(until, "until"), "until")
        pointer, outermost = self._enter()
        if not outermost:
            self._leave()
            raise Busy("run() cannot be called from the engine's own callbacks")
        outcome: Dict[str, Any] = {}
        # Set by the worker when it is out of the engine. (Not Thread.join/is_alive: on some
        # Python versions a join cut short by Ctrl-C makes a running thread look stopped.)
        finished = threading.Event()

        def work() -> None:
            # The worker is the thread inside the engine: it counts as this call's thread.
            with self._lock:
                self._active[threading.get_ident()] = 1
            try:
                status = lib().outreach_engine_run(pointer, last)
                if status == 0:
                    outcome["summary"], status = _summary_of(pointer)
                try:
                    check(status)
                except Error as error:
                    outcome["error"] = error
            except BaseException as error:  # noqa: BLE001 - carried to the waiting thread
                outcome["error"] = error
            finally:
                self._leave()
                finished.set()

        interrupted = False
        worker = threading.Thread(target=work, name="outreach-engine-run", daemon=True)
        started = False
        try:
            worker.start()
            started = True
            while not finished.wait(0.1):
                pass
        except KeyboardInterrupt:
            interrupted = True
        finally:
            # Whatever cut the wait short, this call does not return while the worker may still
            # use the engine (a close() waits for it). Ctrl-C asks the engine to stop.
            if started and not finished.is_set():
                self.stop()
            while started:
                try:
                    if finished.wait(0.1):
                        break
                except KeyboardInterrupt:
                    interrupted = True
                    self.stop()
            self._leave()
        failure, self._failure = self._failure, None
        self._emit_log()
        if interrupted:
            raise KeyboardInterrupt
        if failure is not None:
            raise failure
        if "error" in outcome:
            raise outcome["error"]
        result: Dict[str, Any] = outcome["summary"]
        return result

    def stop(self) -> None:
        """Asks :meth:`run` (or :meth:`simulate`) to return after the send in progress. Any
        thread may call it at any time; it does nothing on a closed engine. A stop is final:
        later runs and simulations return at once."""
        with self._lock:
            if self._pointer is not None:
                lib().outreach_engine_request_stop(self._pointer)

    # ---- what happened -----------------------------------------------------------------------

    def on_event(self, listener: Optional[EventListener], *, raw: bool = False) -> Optional[EventListener]:
        """Sets the function that receives every event from now on, replacing the one set before
        (``None``: no more events). Set it before running to see every event.

        The listener gets each event as a dict (``raw=True``: as its JSON line, byte for byte a
        line of ``outreach simulate --events``), on the thread running the engine. It may call
        the methods that read the engine (:meth:`events`, :meth:`summary`, ...) and :meth:`stop`.
        If it raises, the engine stops and the running call raises that exception.

        Returns the listener, so that it can be used as a decorator.
        """
        if listener is not None and not callable(listener):
            raise TypeError(f"listener: {type(listener).__name__} is not callable")
        callback = self._event_callback if listener is not None else EVENT_FN(0)
        self._call("outreach_engine_set_event_callback", callback, None)
        self._listener = None if listener is None else (listener, raw)
        return listener

    @property
    def event_count(self) -> int:
        """How many events the engine has had (kept or not)."""
        out = c_size_t()
        self._read("outreach_engine_event_count", byref(out))
        return int(out.value)

    def events(self, since: int = 0) -> List[Dict[str, Any]]:
        """The events from index ``since`` on (0: the first), as dicts: each one a line of
        ``outreach simulate --events``. Pass the :attr:`event_count` seen last time to get only
        what is new.

        Raises:
            InvalidArgument: ``since`` is more than the count, or the engine does not keep its
                events (``keep_events=False``).
        """
        out = c_void_p()
        self._read("outreach_engine_events", _index(since, "since"), byref(out))
        result: List[Dict[str, Any]] = take_json(out)
        return result

    def event_line(self, index: int) -> str:
        """One event as its JSON line, exactly as written by ``outreach simulate --events``.

        Raises:
            NotFound: There is no event at ``index`` (yet).
        """
        out = c_void_p()
        self._read("outreach_engine_event", _index(index, "index"), byref(out))
        return take_string(out)

    def event(self, index: int) -> Dict[str, Any]:
        """One event, as a dict (see :meth:`event_line`)."""
        result: Dict[str, Any] = json.loads(self.event_line(index))
        return result

    def event_lines(self, since: int = 0) -> List[str]:
        """The events from index ``since`` on as JSON lines, without line ends: joined with
        ``"\\n"`` (plus one at the end) they are the ``--events`` file of ``outreach simulate``."""
        return [self.event_line(index) for index in range(_index(since, "since"), self.event_count)]

    def summary(self) -> Dict[str, Any]:
        """Every campaign's status and analytics: ``{"campaigns": [...]}``, the object of
        ``outreach simulate --json`` and ``outreach status --json``."""
        out = c_void_p()
        self._read("outreach_engine_summary", byref(out))
        result: Dict[str, Any] = take_json(out)
        return result

    def status(self) -> Dict[str, Any]:
        """The same as :meth:`summary`: what ``outreach status --json`` prints."""
        return self.summary()

    def warnings(self) -> List[str]:
        """Things worth telling a person that are not errors (a mailbox defined again with other
        settings, an unsubscribe secret that is not set, ...), oldest first. Each was also given
        to the ``warnings`` module as an :class:`OutreachWarning` when it appeared."""
        out = c_void_p()
        self._read("outreach_engine_warnings", byref(out))
        result: List[str] = take_json(out)
        return result

    def __repr__(self) -> str:
        if self.closed:
            return "<outreach.Engine (closed)>"
        if self._smtp_callbacks is not None:
            return "<outreach.Engine mailbox transport>"
        return f"<outreach.Engine {'custom transport' if self._transport is not None else 'built-in transport'}>"


# ---- the callbacks the C engine calls ----------------------------------------------------------


def _log_trampoline(this: "weakref.ref[Engine]") -> Callable[[int, Optional[bytes], Any], None]:
    """The ``outreach_log_fn``: keeps each message, given to ``warnings`` when the call returns."""
    def log(level: int, message: Optional[bytes], user_data: Any) -> None:
        try:
            engine = this()
            if engine is None:
                return
            # Messages about a callback that failed are not repeated: its exception is raised.
            if level == LOG_ERROR or engine._failure is not None:
                return
            engine._log.append((level, (message or b"").decode("utf-8", "replace")))
        except BaseException:  # noqa: BLE001 - nothing may cross back into C
            pass

    return log


def _smtp_failure_hook(this: "weakref.ref[Engine]") -> Callable[[BaseException, str], None]:
    """Where an exception of an SMTP or IMAP credentials or trace callback goes: the engine stops,
    and the running call raises it (as for a transport that raises)."""
    def failed(error: BaseException, where: str) -> None:
        engine = this()
        if engine is not None:
            engine._callback_failed(error, where, stop=True)

    return failed


def _event_trampoline(this: "weakref.ref[Engine]") -> Callable[[Optional[bytes], Any], int]:
    """The ``outreach_event_fn``: hands each event to the listener; an exception stops the engine."""
    def on_event(line: Optional[bytes], user_data: Any) -> int:
        engine = this()
        if engine is None:
            return 0
        try:
            listener = engine._listener
            if listener is None:
                return 0
            function, raw = listener
            text = (line or b"").decode("utf-8")
            function(text if raw else json.loads(text))
            return 0
        except BaseException as error:  # noqa: BLE001 - carried out of the engine's call
            # A non-zero return stops the engine; the call running returns OUTREACH_ECALLBACK.
            engine._callback_failed(error, "the event listener", stop=False)
            return 1

    return on_event


def _send_trampoline(this: "weakref.ref[Engine]") -> Callable[..., int]:
    """The ``outreach_send_fn``: builds the :class:`Message`, calls the transport, fills in the
    outcome; an exception (or a result that is not an outcome) stops the engine."""
    def send(
        mailbox: Optional[bytes],
        envelope_from: Optional[bytes],
        envelope_to: Optional[bytes],
        message_id: Optional[bytes],
        data: Optional[int],
        size: int,
        smtputf8: int,
        outcome: Any,
        user_data: Any,
    ) -> int:
        engine = this()
        if engine is None:
            return 1
        try:
            if engine._failure is not None:
                return 1  # a callback failed in this call: the engine is stopping; send nothing more
            message = Message(
                mailbox=(mailbox or b"").decode("utf-8"),
                envelope_from=(envelope_from or b"").decode("utf-8"),
                envelope_to=(envelope_to or b"").decode("utf-8"),
                message_id=(message_id or b"").decode("utf-8"),
                data=ctypes.string_at(data, size) if size and data else b"",
                smtputf8=bool(smtputf8),
            )
            transport = engine._transport
            if transport is None:
                raise InvalidArgument("the Engine's transport is gone (the Engine is closing)")
            fields = outcome_of(transport.send(message))
            strings = (
                encode(fields["status"], "transport result: status"),
                encode(fields["reason"], "transport result: reason"),
                encode(fields["queue_id"], "transport result: queue_id"),
            )
            # The library copies the strings after this function returns: keep them alive until
            # the next send.
            engine._outcome_strings = strings
            filled = outcome.contents
            filled.kind = fields["kind"]
            filled.code = fields["code"]
            filled.status, filled.reason, filled.queue_id = strings
            return 0
        except BaseException as error:  # noqa: BLE001 - carried out of the engine's call
            # Non-zero: the send counts as a temporary failure; the engine is asked to stop so
            # that the exception is raised now rather than after every retry.
            engine._callback_failed(error, "the transport's send()", stop=True)
            return 1

    return send


# ---- helpers -------------------------------------------------------------------------------------


def _summary_of(pointer: EnginePointer) -> Tuple[Optional[Dict[str, Any]], int]:
    """The engine's summary and the status of taking it (for a thread inside the engine)."""
    out = c_void_p()
    status = lib().outreach_engine_summary(pointer, byref(out))
    if status != 0:
        return None, status
    result: Dict[str, Any] = take_json(out)
    return result, 0


def _index(value: int, what: str) -> int:
    """Checks an event index given by the caller (a non-negative int)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{what}: expected an int, not {type(value).__name__}")
    if value < 0:
        raise InvalidArgument(f"{what}: {value} is negative")
    return value


def _warn_left_out(where: str, error: Error) -> None:
    """Reports an inbound line that is left out, as the command line does."""
    detail = error.details[0] if error.details else {}
    text = detail.get("text") or error.message
    _warn(f"{where}: {text} (line left out)")


def _inbound_items(inbound: InboundScript) -> Iterable[Tuple[str, Any]]:
    """The items of an inbound script with where each one is (``FILE:LINE`` or ``inbound[i]``)."""
    if isinstance(inbound, (str, os.PathLike)):
        path = os.fspath(inbound)
        try:
            with open(path, "rb") as file:
                data = file.read()
        except FileNotFoundError as error:
            raise NotFound(f"{path}: no such file") from error
        except OSError as error:
            raise IoError(f"{path}: cannot read the file: {error.strerror or error}") from error
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidUtf8(f"{path}: not valid UTF-8 (byte {error.start})") from error
        # Lines end at "\n" only, as the command line reads them; blank lines are skipped.
        for number, line in enumerate(text.split("\n"), start=1):
            if line.strip():
                yield f"{path}:{number}", line
        return
    if isinstance(inbound, (bytes, bytearray, Mapping)):
        raise InvalidArgument(
            f"inbound: expected a path or an iterable of dicts, not {type(inbound).__name__}"
        )
    try:
        items = iter(inbound)
    except TypeError:
        raise InvalidArgument(
            f"inbound: expected a path or an iterable of dicts, not {type(inbound).__name__}"
        ) from None
    for index, item in enumerate(items):
        yield f"inbound[{index}]", item


def simulate(
    campaign: CampaignSource,
    *,
    from_: Optional[Instant] = None,
    until: Optional[Instant] = None,
    inbound: Optional[InboundScript] = None,
    events: Optional[PathLike] = None,
    outbox: Optional[PathLike] = None,
    transport: Optional[Any] = None,
    store: Optional[PathLike] = None,
) -> Dict[str, Any]:
    """``outreach simulate CAMPAIGN [--from] [--until] [--inbound] [--events] [--outbox]
    [--json]`` as one call: simulates one campaign in a new engine and gives the summary (the
    object ``--json`` prints).

    Args:
        campaign: A :class:`Campaign`, a ``campaign.json`` path, or a dict.
        from_: Where the simulation starts (default: the schedule's start).
        until: The last instant to simulate (default: until every lead has ended).
        inbound: An inbound script (a JSONL path, or an iterable of dicts).
        events: Write the event log here as JSON lines (replacing the file).
        outbox: Write every message as a ``.eml`` file into this Maildir.
        transport: Send through this Python transport instead (not with ``outbox``).
        store: A SQLite store file that keeps the campaign (``--store``): a campaign it has
            already goes on where it was. ``None``: in memory.

    Lead rows left out, inbound lines left out and the engine's warnings are reported as
    :class:`OutreachWarning`, where the command line writes them on standard error.
    """
    owned = not isinstance(campaign, Campaign)
    loaded = campaign if isinstance(campaign, Campaign) else (
        Campaign.from_dict(dict(campaign)) if isinstance(campaign, Mapping) else Campaign.load(campaign)
    )
    try:
        for problem in loaded.lead_problems:
            _warn(str(problem.get("text", problem.get("message", ""))))
        with Engine(store, transport=transport, outbox=outbox, keep_events=False) as engine:
            if events is None:
                engine._add(loaded, True)
                return engine.simulate(until, inbound, from_=from_)
            try:
                file = open(os.fspath(events), "w", encoding="utf-8", newline="\n")
            except OSError as error:
                raise IoError(f"{os.fspath(events)}: cannot write the event log: {error.strerror or error}") from error
            with file:
                engine.on_event(lambda line: file.write(line + "\n"), raw=True)
                engine._add(loaded, True)
                return engine.simulate(until, inbound, from_=from_)
    finally:
        if owned:
            loaded.close()
