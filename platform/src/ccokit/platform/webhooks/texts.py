"""What the webhook API says to people, in English and Chinese (by ``Accept-Language``)."""

from __future__ import annotations

from ccokit.platform.messages import request_locale

__all__ = ["WEBHOOK_TEXT", "webhook_text"]

WEBHOOK_TEXT: dict[str, dict[str, str]] = {
    "url_scheme": {
        "en": "Only http:// and https:// URLs can receive webhooks.",
        "zh": "只有 http:// 和 https:// 地址可以接收 Webhook。",
    },
    "url_credentials": {
        "en": "The URL may not contain a user name or password.",
        "zh": "地址中不能包含用户名或密码。",
    },
    "url_host": {"en": "The URL has no valid host.", "zh": "地址缺少有效的主机名。"},
    "url_syntax": {
        "en": "Not a valid URL (spaces, control characters or too long).",
        "zh": "地址无效（含空格、控制字符或过长）。",
    },
    "url_port": {
        "en": "The port must be 80, 443 or between 1024 and 65535.",
        "zh": "端口必须是 80、443 或 1024 到 65535 之间。",
    },
    "url_address": {
        "en": "The host resolves to an address that is not public ({reason}); "
              "webhooks go to public addresses only.",
        "zh": "该主机解析到非公网地址（{reason}）；Webhook 只能发送到公网地址。",
    },
    "unknown_event_types": {
        "en": "Unknown event types: {names}.",
        "zh": "未知的事件类型：{names}。",
    },
    "event_types_empty": {
        "en": "List at least one event type, or \"*\" for all.",
        "zh": "请至少列出一个事件类型，或用 \"*\" 表示全部。",
    },
    "too_many_endpoints": {
        "en": "A workspace may have at most {limit} webhook endpoints.",
        "zh": "每个商家空间最多可以有 {limit} 个 Webhook 端点。",
    },
    "endpoint_disabled": {
        "en": "The endpoint is disabled; enable it first.",
        "zh": "该端点已停用；请先启用。",
    },
    "delivery_pending": {
        "en": "This delivery is still pending; it will be sent at its next try.",
        "zh": "该投递仍在等待中，将在下次尝试时发送。",
    },
}


def webhook_text(key: str, locale: str | None = None, **values: str) -> str:
    entry = WEBHOOK_TEXT[key]
    text = entry.get(locale or request_locale()) or entry["en"]
    return text.format(**values) if values else text
