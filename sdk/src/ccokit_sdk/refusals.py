"""Refusals that read well in every language a workspace speaks.

A plugin's services refuse a write by raising :class:`Invalid` with errors keyed by the field
that caused them, each a :class:`Message` (a stable key and its values) rather than text, so the
business rule stays apart from its wording. The view renders them with the plugin's
:class:`Catalogue` in the caller's language, into the ``errors`` of a 422 problem, and events or
consoles can render the same message again later::

    CATALOGUE = Catalogue({"unknown_queue": {"en": "No queue {id}.", "zh": "没有队列 {id}。"}})
    raise Invalid({"queue_id": [Message("unknown_queue", {"id": public_id})]})
    ...
    abort(422, messages=CATALOGUE.render(exc.errors, locale()))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Catalogue", "Invalid", "Message"]


@dataclass(frozen=True)
class Message:
    """What to say, by key, with the values its wording needs."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)


class Invalid(Exception):
    """A refused write: field name -> list of :class:`Message` (or a nested mapping of them)."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(errors)
        self.errors = dict(errors)


class Catalogue:
    """A plugin's wording of its messages: key -> language -> text with ``{value}`` fields.
    English is required of every entry; a language missing for a key falls back to it."""

    def __init__(self, entries: Mapping[str, Mapping[str, str]]) -> None:
        missing = [key for key, texts in entries.items() if "en" not in texts]
        if missing:
            raise ValueError(f"messages without English: {missing}")
        self.entries = entries

    def text(self, message: Message, language: str) -> str:
        texts = self.entries[message.key]
        return texts.get(language, texts["en"]).format(**message.values)

    def render(self, errors: Any, language: str) -> Any:
        """``errors`` with each :class:`Message` as text in ``language``."""
        if isinstance(errors, Message):
            return self.text(errors, language)
        if isinstance(errors, Mapping):
            return {k: self.render(v, language) for k, v in errors.items()}
        if isinstance(errors, list | tuple):
            return [self.render(v, language) for v in errors]
        return errors
