"""Changing a store's campaigns whether or not an engine runs them, as ``outreach pause``,
``suppress``, ``forget``, ``leads add``, ``update``, ... do (``outreach_store_request``):
:func:`request` and the shorthands :func:`pause`, :func:`resume`, :func:`stop`,
:func:`suppress`, :func:`unsuppress`, :func:`forget`, :func:`add_leads` and :func:`update`."""

from __future__ import annotations

import json
import os
from ctypes import byref, c_void_p
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from ._library import check, encode, encode_path, lib, take_json
from .campaign import Campaign

__all__ = ["RequestResult", "request", "pause", "resume", "stop", "suppress", "unsuppress", "forget", "add_leads",
           "update", "read_leads", "disable_mailbox", "enable_mailbox"]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class RequestResult:
    """How a request of a store's campaigns ended.

    Attributes:
        id: The request's id in the store.
        applied_here: No engine ran the store: the call applied the request itself.
        answer: The engine's answer — ``applied``, ``message`` (what took effect, for people),
            ``sends_before`` (sends handed to the transport after the request was asked and
            before it was applied), ``changed``, and ``error`` (a code name) when it was
            refused — or ``None`` while the request waits for the running engine (it is not
            lost: that engine applies it when it comes to it).
        warnings: What applying it here warned of.
    """

    id: int
    applied_here: bool
    answer: Optional[Dict[str, Any]]
    warnings: List[str] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        """The request took effect (False when refused or still waiting)."""
        return bool(self.answer and self.answer.get("applied"))


def request(store: PathLike, body: Mapping[str, Any], wait: float = 10.0) -> RequestResult:
    """Makes a request of the campaigns of the store at ``store``: applied at once when no
    engine runs the store, or by the engine that runs it (``outreach run``, an
    :class:`~outreach.Engine` running in this or another process), whose answer is awaited for
    up to ``wait`` seconds (0: not at all).

    Args:
        store: The store file.
        body: The request, such as ``{"action": "pause", "campaign": "q4"}`` (docs/operations.md,
            "Requests").
        wait: Seconds to wait for a running engine's answer.

    Raises:
        InvalidValue: The request breaks a rule (the message names the JSON path).
        NotFound: No engine runs the store and it has no such campaign.
    """
    if wait < 0:
        raise ValueError("wait: a number of seconds, 0 or more")
    out = c_void_p()
    check(lib().outreach_store_request(encode_path(store, "store"), encode(json.dumps(body), "body"),
                                       min(int(wait * 1000), 0xFFFFFFFF), byref(out)))
    result = take_json(out)
    return RequestResult(id=int(result["id"]), applied_here=bool(result["applied_here"]),
                         answer=result["answer"], warnings=list(result["warnings"]))


def _address_list(addresses: Union[str, Sequence[str]]) -> List[str]:
    # A string is a sequence too: taken as one address, not as its characters.
    return [addresses] if isinstance(addresses, str) else list(addresses)


def pause(store: PathLike, campaign: str, wait: float = 10.0) -> RequestResult:
    """Pauses a campaign of the store (event ``campaign_paused``, reason ``request``)."""
    return request(store, {"action": "pause", "campaign": campaign}, wait)


def resume(store: PathLike, campaign: str, wait: float = 10.0) -> RequestResult:
    """Resumes a paused campaign of the store; a stopped one is refused."""
    return request(store, {"action": "resume", "campaign": campaign}, wait)


def stop(store: PathLike, campaign: str, wait: float = 10.0) -> RequestResult:
    """Ends a campaign of the store for good (event ``campaign_stopped``)."""
    return request(store, {"action": "stop", "campaign": campaign}, wait)


def disable_mailbox(store: PathLike, mailbox: str, wait: float = 10.0) -> RequestResult:
    """Disables a mailbox of the store's campaigns (event ``mailbox_disabled``, reason
    ``request``): they send nothing with it, and the follow-ups of the leads it started wait for
    it unless a campaign has ``reassign_follow_ups``."""
    return request(store, {"action": "disable_mailbox", "mailbox": mailbox}, wait)


def enable_mailbox(store: PathLike, mailbox: str, wait: float = 10.0) -> RequestResult:
    """Enables a disabled mailbox again (event ``mailbox_enabled``); the follow-ups that waited
    for it are due again."""
    return request(store, {"action": "enable_mailbox", "mailbox": mailbox}, wait)


def suppress(store: PathLike, addresses: Union[str, Sequence[str]], reason: str = "manual", wait: float = 10.0) -> RequestResult:
    """Puts bare addresses on the store's suppression list; honoured before the next send. One
    address may be given as a string."""
    return request(store, {"action": "suppress", "addresses": _address_list(addresses), "reason": reason}, wait)


def unsuppress(store: PathLike, addresses: Union[str, Sequence[str]], wait: float = 10.0) -> RequestResult:
    """Takes addresses off the store's suppression list (one may be given as a string)."""
    return request(store, {"action": "unsuppress", "addresses": _address_list(addresses)}, wait)


def forget(store: PathLike, address: str, wait: float = 10.0) -> RequestResult:
    """Erases an address's data from the store and suppresses it (reason ``forget``)."""
    return request(store, {"action": "forget", "addresses": [address]}, wait)


def read_leads(path: PathLike) -> Dict[str, Any]:
    """Reads a lead list file (CSV, or the JSON form when its name ends in ``.json``) as
    ``{"leads": [...], "problems": [...]}``: the leads as dicts of the JSON lead list, and the
    rows left out or changed as error dicts with their ``file`` and ``line``.

    Raises:
        NotFound, ParseError, InvalidValue: The file cannot be read, or has no valid row.
    """
    out = c_void_p()
    check(lib().outreach_leads_load(encode_path(path, "path"), byref(out)))
    result: Dict[str, Any] = take_json(out)
    return result


def add_leads(store: PathLike, campaign: str, leads: Union[PathLike, Sequence[Mapping[str, Any]]],
              wait: float = 10.0) -> RequestResult:
    """Adds leads to a campaign of the store, after the ones it has: a lead list file (read by
    :func:`read_leads`; rows that are not leads are left out) or lead dicts such as
    ``{"email": "ann@example.com", "first_name": "Ann"}``. Addresses the campaign has, or that
    are suppressed, are left out and counted in the answer (``already_in``, ``suppressed``)."""
    rows = read_leads(leads)["leads"] if isinstance(leads, (str, os.PathLike)) else list(leads)
    return request(store, {"action": "add_leads", "campaign": campaign, "leads": rows}, wait)


def update(store: PathLike, campaign: Union[PathLike, Campaign], wait: float = 10.0,
           edit_steps: bool = False) -> RequestResult:
    """Applies a changed campaign (its file, or a :class:`Campaign`) to the store's campaign of
    its name: schedule, limits, mailboxes, stop rules and the rest, each change an event; the
    answer's ``changes`` list them. Its leads are not read. A change of the seed is refused;
    changed steps are applied, as the sequence's next version, only with ``edit_steps``
    (docs/operations.md, "Edited steps")."""
    if isinstance(campaign, Campaign):
        definition = json.loads(campaign.to_json())
    else:
        with Campaign.load(campaign) as loaded:
            definition = json.loads(loaded.to_json())
    asked: Dict[str, Any] = {"action": "update", "campaign": definition["name"], "definition": definition}
    if edit_steps:
        asked["edit_steps"] = True
    return request(store, asked, wait)
