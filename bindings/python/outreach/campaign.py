"""Campaigns: who is written to, when and how, with the sequence and the leads
(docs/formats.md, "Campaigns")."""

from __future__ import annotations

import os
from ctypes import byref, c_char_p, c_size_t, c_void_p
from typing import Any, Dict, List, Optional, Union

from ._handle import Handle
from ._library import CampaignPointer, SequencePointer, check, encode, encode_path, lib, take_json, take_string, to_json_text
from .sequence import Sequence

__all__ = ["Campaign"]

PathLike = Union[str, "os.PathLike[str]"]


class Campaign(Handle):
    """An immutable, checked campaign (``outreach_campaign``), with its sequence and leads loaded.

    Make one with :meth:`load`, :meth:`from_dict` or :meth:`from_json`. Rows of the lead list
    that are not leads do not make loading fail: they are left out and listed in
    :attr:`lead_problems`. Any number of threads may read a campaign at once, and one campaign
    may be added to several engines (each keeps its own copy)::

        with outreach.Campaign.load("campaign.json") as campaign:
            print(campaign.name, campaign.lead_count, campaign.lead_problems)
    """

    _free_function = "outreach_campaign_free"
    _pointer_type = CampaignPointer

    @classmethod
    def load(cls, path: PathLike) -> "Campaign":
        """Loads and checks a ``campaign.json`` file; relative paths in it (sequence, leads,
        outbox folders, key files) start from its folder.

        Raises:
            NotFound: There is no such file (or the sequence or lead list it names is missing).
            IoError: A file cannot be read.
            ParseError, InvalidValue, UnknownKey, LimitExceeded, InvalidUtf8: The campaign is not
                valid; ``details`` lists every error found, with its file and JSON path.
        """
        out = CampaignPointer()
        check(lib().outreach_campaign_load(byref(out), encode_path(path, "path")))
        return cls(out)

    @classmethod
    def from_json(cls, text: str, base_dir: Optional[PathLike] = None) -> "Campaign":
        """Parses and checks a campaign from JSON text (raises as :meth:`load`).

        Args:
            text: The campaign JSON.
            base_dir: The folder that relative paths in the campaign start from; ``None`` for
                the working directory.
        """
        out = CampaignPointer()
        base = None if base_dir is None else encode_path(base_dir, "base_dir")
        check(lib().outreach_campaign_from_json(byref(out), encode(text, "json"), base))
        return cls(out)

    @classmethod
    def from_dict(cls, campaign: Dict[str, Any], base_dir: Optional[PathLike] = None) -> "Campaign":
        """Checks a campaign given as a dict of the JSON format (see :meth:`from_json`). The
        sequence and the leads may be given inline (a dict; a list of lead dicts) or as paths."""
        return cls.from_json(to_json_text(campaign, "campaign"), base_dir)

    @property
    def name(self) -> str:
        """The campaign's name (what :meth:`Engine.start <outreach.Engine.start>` and the events
        call it)."""
        out = c_char_p()
        check(lib().outreach_campaign_name(self._handle(), byref(out)))
        return (out.value or b"").decode("utf-8")

    @property
    def lead_count(self) -> int:
        """How many leads the campaign has (rows left out not counted)."""
        out = c_size_t()
        check(lib().outreach_campaign_lead_count(self._handle(), byref(out)))
        return int(out.value)

    @property
    def lead_problems(self) -> List[Dict[str, Any]]:
        """The rows of the lead list that were left out, or whose fields were dropped, as error
        dicts (``code``, ``message``, ``text``, ``file``, ``line``, ...); ``[]`` when none."""
        out = c_void_p()
        check(lib().outreach_campaign_lead_problems(self._handle(), byref(out)))
        problems: List[Dict[str, Any]] = take_json(out)
        return problems

    def to_json(self) -> str:
        """The campaign as the JSON of its file, with everything inline and resolved."""
        out = c_void_p()
        check(lib().outreach_campaign_to_json(self._handle(), byref(out)))
        text: str = take_string(out)
        return text

    @property
    def sequence(self) -> Sequence:
        """The campaign's sequence, as a :class:`Sequence` of its own (close it when done; it
        does not depend on the campaign)."""
        out = SequencePointer()
        check(lib().outreach_campaign_sequence(byref(out), self._handle()))
        return Sequence(out)

    def __repr__(self) -> str:
        if self.closed:
            return "<outreach.Campaign (closed)>"
        return f"<outreach.Campaign {self.name!r}, {self.lead_count} leads>"
