"""Asking the merchant's order system, with a timeout and a strict check of what it answers.

Every way the merchant's system can fail becomes a :class:`LookupFailed` with a status an agent's
console can show and a sentence in English and Chinese: not configured, unreachable, too slow,
no such order, an HTTP error, or an answer that is not an order. Nothing of the remote answer's
body is passed through unchecked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import marshmallow as ma

from ccokit.plugins.order_lookup.schemas import RemoteOrderSchema

STATUS_TEXT = {
    "pending": {"en": "waiting for payment", "zh": "待付款"},
    "paid": {"en": "paid, being prepared", "zh": "已付款，备货中"},
    "shipped": {"en": "shipped", "zh": "已发货"},
    "delivered": {"en": "delivered", "zh": "已签收"},
    "cancelled": {"en": "cancelled", "zh": "已取消"},
    "refunded": {"en": "refunded", "zh": "已退款"},
}

MESSAGES = {
    "not_configured": {
        "en": "Set orders_url in the order_lookup settings first.",
        "zh": "请先在 order_lookup 设置中填写 orders_url。",
    },
    "unreachable": {"en": "The order system cannot be reached.", "zh": "无法连接订单系统。"},
    "timeout": {
        "en": "The order system did not answer within {seconds} s.",
        "zh": "订单系统未在 {seconds} 秒内响应。",
    },
    "not_found": {"en": "The order system knows no order {number}.", "zh": "订单系统中没有订单 {number}。"},
    "http_error": {"en": "The order system answered HTTP {code}.", "zh": "订单系统返回 HTTP {code}。"},
    "nonsense": {
        "en": "The order system answered something that is not an order.",
        "zh": "订单系统返回的内容不是有效的订单。",
    },
}


class LookupFailed(Exception):
    """The order could not be looked up; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, key: str, locale: str, errors: Any = None, **values: Any) -> None:
        self.status = status
        self.key = key
        self.errors = errors
        text = MESSAGES[key].get(locale) or MESSAGES[key]["en"]
        super().__init__(text.format(**values))


def find_order(
    settings: Mapping[str, Any],
    order_number: str,
    *,
    locale: str = "en",
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """Look ``order_number`` up in the merchant's system; the validated order, or LookupFailed."""
    base = settings.get("orders_url")
    if not base:
        raise LookupFailed(409, "not_configured", locale)
    timeout = float(settings.get("timeout_seconds") or 5.0)
    url = f"{str(base).rstrip('/')}/{order_number}"
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport) as client:
            response = client.get(url, headers={"Accept": "application/json"})
    except httpx.TimeoutException as exc:
        raise LookupFailed(504, "timeout", locale, seconds=f"{timeout:g}") from exc
    except httpx.TransportError as exc:
        raise LookupFailed(502, "unreachable", locale) from exc
    if response.status_code == 404:
        raise LookupFailed(404, "not_found", locale, number=order_number)
    if response.status_code != 200:
        raise LookupFailed(502, "http_error", locale, code=response.status_code)
    try:
        order = RemoteOrderSchema().load(response.json())
    except (ValueError, ma.ValidationError) as exc:
        errors = exc.messages if isinstance(exc, ma.ValidationError) else None
        raise LookupFailed(502, "nonsense", locale, errors=errors) from exc
    if order["order_number"] != order_number:
        raise LookupFailed(502, "nonsense", locale, errors={"order_number": ["Not the order asked for."]})
    order["status_text"] = STATUS_TEXT[order["status"]].get(locale, STATUS_TEXT[order["status"]]["en"])
    return dict(order)
