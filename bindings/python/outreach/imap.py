"""Reading one mailbox over IMAP, for hosts that read their mail their own way (``outreach_imap``)::

    with outreach.ImapReader(mailbox) as reader:
        listing = reader.list_new("INBOX", uidvalidity=kept_validity, after_uid=kept_uid)
        for message in listing.messages:
            raw = reader.fetch("INBOX", message.uid)
            engine.ingest(raw)

An engine reads its own mailboxes when it runs (:meth:`outreach.Engine.run`); this is for the rest.
"""

from __future__ import annotations

import ctypes
import threading
import weakref
from ctypes import byref, c_size_t, c_void_p
from dataclasses import dataclass, field
from typing import List, Optional

from ._handle import Handle
from ._library import IMAP_CALLBACKS_VERSION, ImapCallbacks, ImapPointer, check, encode, lib, take_json
from .errors import InvalidArgument
from .smtp import (
    CallbackCarrier,
    CredentialsCallback,
    MailboxSource,
    SmtpCallbackSet,
    TraceCallback,
    _mailbox_text,
    failure_hook,
)


@dataclass(frozen=True)
class ListedMessage:
    """A message of a folder: its UID and its size in bytes."""

    uid: int
    size: int


@dataclass(frozen=True)
class FolderListing:
    """What is new in a folder. Keep ``uidvalidity`` with the last UID taken: the next listing
    after it gives what came since."""

    uidvalidity: int
    uid_next: Optional[int]
    messages: List[ListedMessage] = field(default_factory=list)


def _uid(value: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFFFFFFFF:
        raise InvalidArgument(f"{what}: expected an integer from 0 to 4294967295, not {value!r}")
    return value


class ImapReader(CallbackCarrier, Handle):
    """Reads one mailbox over IMAP: what is new in a folder after a place the host keeps, and one
    message at a time. It connects at the first call and keeps the connection; a call that fails
    closes it and the next one connects again. Read-only (EXAMINE, ``BODY.PEEK[]``), TLS verified,
    every step bounded by a deadline and a size limit (48 MiB a message).

    Args:
        mailbox: The mailbox object of the campaign format with its ``imap`` settings, as a dict
            or JSON text (``daily_limit`` may be left out).
        credentials: ``credentials(mailbox_id, mechanism, refresh)`` returning ``(username,
            secret)``, the secret alone, or ``None``, as for :class:`outreach.SmtpTransport`
            (``mechanism`` ``"plain"``, ``"login"`` or ``"xoauth2"``); without it, the
            environment variable the settings name.
        trace: ``trace(line)`` receives the protocol (secrets redacted, bodies left out).

    Raises:
        InvalidValue, UnknownKey, ParseError: A mailbox that is not valid, or has no ``imap``
            settings.

    Used by one thread at a time (another raises :class:`Busy`).
    """

    _what = "IMAP reader"
    _free_function = "outreach_imap_free"
    _pointer_type = ImapPointer

    def __init__(
        self,
        mailbox: MailboxSource,
        *,
        credentials: Optional[CredentialsCallback] = None,
        trace: Optional[TraceCallback] = None,
    ) -> None:
        self._lock = threading.RLock()
        self._failure: Optional[BaseException] = None
        this = weakref.ref(self)
        self._callbacks = SmtpCallbackSet(
            credentials, trace, failure_hook(this), ImapCallbacks, IMAP_CALLBACKS_VERSION
        )
        out = ImapPointer()
        check(lib().outreach_imap_open(byref(out), _mailbox_text(mailbox), self._callbacks.pointer))
        super().__init__(out)

    def list_new(self, folder: str = "INBOX", uidvalidity: int = 0, after_uid: int = 0) -> FolderListing:
        """The messages of ``folder`` with a UID above ``after_uid``, in UID order. A
        ``uidvalidity`` that is not the folder's (0 for a first reading) lists every message.

        Raises:
            Unavailable: The network, a timeout, or the server refused the folder.
            PermanentFailure: A refused login, an untrusted certificate, STARTTLS missing or attacked.
            ParseError, LimitExceeded: A server that does not speak IMAP, or says too much.
        """
        out = c_void_p()
        with self._using():
            status = lib().outreach_imap_list_new(
                self._handle(), encode(folder, "folder"), _uid(uidvalidity, "uidvalidity"),
                _uid(after_uid, "after_uid"), byref(out),
            )
            self._after(status)
        listing = take_json(out)
        return FolderListing(
            uidvalidity=listing["uidvalidity"],
            uid_next=listing["uid_next"],
            messages=[ListedMessage(m["uid"], m["size"]) for m in listing["messages"]],
        )

    def fetch(self, folder: str, uid: int) -> bytes:
        """One whole message, as received (to give to :meth:`outreach.Engine.ingest`).

        Raises:
            NotFound: The folder has no message with this UID.
            LimitExceeded: The message is over the size limit.
            Otherwise as :meth:`list_new`.
        """
        out = c_void_p()
        length = c_size_t()
        with self._using():
            status = lib().outreach_imap_fetch(
                self._handle(), encode(folder, "folder"), _uid(uid, "uid"), byref(out), byref(length)
            )
            try:
                self._after(status)
                return ctypes.string_at(out.value, length.value) if out.value else b""
            finally:
                lib().outreach_string_free(out)

    def close(self) -> None:
        """Logs out and frees the reader. Calling it again does nothing; a call in progress on
        another thread makes it raise :class:`Busy` rather than free the reader under it."""
        lock = getattr(self, "_lock", None)
        if lock is None or self._pointer is None:  # __init__ failed, or closed already
            return
        with self._using():
            super().close()

    def __repr__(self) -> str:
        return "<outreach.ImapReader (closed)>" if self.closed else "<outreach.ImapReader>"
