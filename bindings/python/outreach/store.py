"""Reading a store file while an engine may run on it (:class:`StoreReader`: ``outreach status``
and ``outreach events``), and what importing a suppression list did (:class:`SuppressionImport`).
Changing a store goes through its :class:`~outreach.Engine`: ``suppress``, ``unsuppress``,
``import_suppressions``, ``forget``."""

from __future__ import annotations

import os
import threading
from ctypes import byref, c_void_p
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Union

from ._handle import Handle
from ._instant import Instant, instant_text
from ._library import StoreReaderPointer, check, encode, encode_path, lib, take_json

__all__ = ["StoreReader", "SuppressionImport"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class SuppressionImport:
    """What :meth:`Engine.import_suppressions <outreach.Engine.import_suppressions>` did.

    Attributes:
        suppressed: How many addresses were put on the list (those on it already included).
        problems: The lines left out, as error dicts (``code``, ``message``, ``file``,
            ``line``, ``text``), in file order.
    """

    suppressed: int
    problems: List[Dict[str, Any]] = field(default_factory=list)


def suppression_import_of(value: Mapping[str, Any]) -> SuppressionImport:
    """The result of ``outreach_engine_import_suppressions`` as a :class:`SuppressionImport`."""
    return SuppressionImport(suppressed=int(value["suppressed"]), problems=list(value["problems"]))


class StoreReader(Handle):
    """A store file opened for reading only (``outreach_store_reader``): it takes no lock and
    writes nothing, so it reads the file while an engine — of this process or another — runs on
    it, and never keeps an engine out.

    Args:
        path: The store file, or the ``postgresql://`` URI of a store's database, made by an
            engine (``Engine(store=...)``, ``outreach run --store``, ...).

    Raises:
        NotFound: There is no such file or database, or no store in it (a reader makes none).
        InvalidValue: The file is not an outreach store (not SQLite, another application's
            database), is of another schema version (open it once with an engine to upgrade
            it), or is damaged; it is left as it was.
        IoError: It cannot be read.

    Use it as a context manager, or call :meth:`close`::

        with outreach.StoreReader("state.db") as store:
            for campaign in store.status()["campaigns"]:
                print(campaign["name"], campaign["status"], campaign["leads"])
            replies = store.events(campaign="q4-saas-founders", since="2026-12-08T00:00:00Z")

    Several threads may share a reader: their calls take turns.
    """

    _free_function = "outreach_store_reader_free"
    _pointer_type = StoreReaderPointer

    def __init__(self, path: PathLike) -> None:
        self._lock = threading.Lock()
        out = StoreReaderPointer()
        check(lib().outreach_store_reader_open(byref(out), encode_path(path, "path")))
        super().__init__(out)
        #: The store file, as given.
        self.path: str = os.fspath(path)

    def close(self) -> None:
        """Closes the file. Calling it again does nothing; a call in progress on another thread
        finishes first."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ failed before the reader was made
            return
        with lock:
            super().close()

    def _json(self, name: str, *args: Any) -> Any:
        with self._lock:
            out = c_void_p()
            check(getattr(lib(), name)(self._handle(), *args, byref(out)))
            return take_json(out)

    def status(self) -> Dict[str, Any]:
        """Every campaign of the store with its status and analytics: the object ``outreach
        status --json`` prints (and :meth:`Engine.summary <outreach.Engine.summary>` gives),
        with the campaigns rebuilt from their events and nothing written.

        Raises:
            IoError, InvalidValue: The store cannot be read (then every later call fails too:
                open the file again).
        """
        result: Dict[str, Any] = self._json("outreach_store_reader_status")
        return result

    def events(self, campaign: Optional[str] = None, since: Optional[Instant] = None) -> List[Dict[str, Any]]:
        """The store's event log, as ``outreach events`` prints it: every campaign's events in
        time order, as dicts.

        Args:
            campaign: Only this campaign's events (``--campaign``).
            since: Only the events at or after this instant (``--since``): RFC 3339 text or a
                timezone-aware datetime.

        Raises:
            NotFound: The store has no campaign of that name.
            InvalidArgument: ``since`` is not an instant.
        """
        result: List[Dict[str, Any]] = self._json(
            "outreach_store_reader_events",
            encode(campaign, "campaign"),
            encode(instant_text(since, "since"), "since"),
        )
        return result

    def explain(self, campaign: str, lead: str, at: Optional[Instant] = None) -> Dict[str, Any]:
        """Why a lead has not been emailed yet, as ``outreach explain --json`` prints it: its
        ``status``, ``next_step``, the ``earliest`` instant it goes (or None), what holds it
        (``held_by``: ``[{"reason": ..., "until": ...}, ...]``) and its ``history``. Nothing is
        written to the store.

        Args:
            campaign: The campaign's name.
            lead: The lead's address.
            at: The instant asked about (``--at``): RFC 3339 text or a timezone-aware datetime;
                None for the campaign's last event. Not before it.

        Raises:
            NotFound: The store has no such campaign or lead.
            InvalidArgument: ``at`` is not an instant, or is before the campaign's last event.
        """
        result: Dict[str, Any] = self._json(
            "outreach_store_reader_explain",
            encode(campaign, "campaign"),
            encode(lead, "lead"),
            encode(instant_text(at, "at"), "at"),
        )
        return result

    def forecast(self, campaign: str, start: Optional[Instant] = None, reply_rate: float = 0.0) -> Dict[str, Any]:
        """What a stored campaign will send, as ``outreach forecast --json`` prints it: ``from``,
        ``ends`` (when its last send goes, or None), ``sends`` and ``days`` (``[{"date": ...,
        "mailbox": ..., "sent": ...}, ...]``), found by running the engine forward without
        writing anything.

        Args:
            campaign: The campaign's name.
            start: The instant it starts from (``--from``): RFC 3339 text or a timezone-aware
                datetime; None for the campaign's last event. Not before it.
            reply_rate: The share of sends answered, a day after each (``--reply-rate``), 0 to 1.

        Raises:
            NotFound: The store has no such campaign.
            InvalidArgument: ``start`` is not an instant or is before the last event, or the
                rate is outside 0 to 1.
        """
        result: Dict[str, Any] = self._json(
            "outreach_store_reader_forecast",
            encode(campaign, "campaign"),
            encode(instant_text(start, "start"), "start"),
            float(reply_rate),
        )
        return result

    def suppressions(self) -> List[Dict[str, str]]:
        """The store's suppression list, ordered by address: ``[{"address": ..., "reason":
        ...}, ...]`` (``outreach suppress list``)."""
        result: List[Dict[str, str]] = self._json("outreach_store_reader_suppressions")
        return result

    def __repr__(self) -> str:
        state = " (closed)" if self.closed else ""
        return f"<outreach.StoreReader {self.path!r}{state}>"
