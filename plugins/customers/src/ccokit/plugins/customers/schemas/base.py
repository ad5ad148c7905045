"""The base of every customers schema: field errors in the caller's language."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from ccokit.plugins.customers.texts import translate_errors

__all__ = ["Schema"]


class Schema(ma.Schema):
    """A marshmallow schema whose built-in messages ("Missing data for required field.") reach
    a Chinese-speaking caller in Chinese; the plugin's own messages are written in both."""

    def handle_error(self, error: ma.ValidationError, data: Any, *, many: bool, **kwargs: Any) -> None:
        translated = translate_errors(error.messages)
        if translated != error.messages:
            raise ma.ValidationError(translated, data=error.data, valid_data=error.valid_data)
