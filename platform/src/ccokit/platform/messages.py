"""User-facing text in English and Chinese, chosen from the request's ``Accept-Language``.

The catalogue is small on purpose: error titles and the sign-in pages. Keys are stable so that
clients may match on ``type`` rather than on wording.
"""

from __future__ import annotations

from flask import has_request_context, request

__all__ = ["LOCALES", "MESSAGES", "request_locale", "translate"]

LOCALES = ("en", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    "bad_request": {"en": "Bad request", "zh": "请求有误"},
    "unauthorized": {"en": "Authentication required", "zh": "需要登录认证"},
    "invalid_token": {"en": "The access token is invalid or expired", "zh": "访问令牌无效或已过期"},
    "forbidden": {"en": "Forbidden", "zh": "没有权限"},
    "insufficient_scope": {"en": "The access token lacks the scope this needs", "zh": "访问令牌缺少所需的权限范围"},
    "tenant_suspended": {"en": "This workspace is suspended", "zh": "该商家空间已被暂停"},
    "not_found": {"en": "Not found", "zh": "未找到"},
    "method_not_allowed": {"en": "Method not allowed", "zh": "不支持该请求方法"},
    "conflict": {"en": "Conflict", "zh": "冲突"},
    "precondition_failed": {"en": "Precondition failed", "zh": "前置条件不满足"},
    "payload_too_large": {"en": "Request body too large", "zh": "请求体过大"},
    "unsupported_media_type": {"en": "Unsupported media type: send application/json", "zh": "不支持的媒体类型：请发送 application/json"},
    "validation_failed": {"en": "Some fields are not valid", "zh": "部分字段无效"},
    "nul_character": {"en": "Text may not contain the NUL character (U+0000).", "zh": "文本不能包含 NUL 字符（U+0000）。"},
    "too_many_requests": {"en": "Too many requests", "zh": "请求过于频繁"},
    "tenant_rate_limited": {"en": "This workspace may make {amount} API calls per {seconds} seconds; retry after Retry-After seconds", "zh": "该商家空间每 {seconds} 秒最多调用 API {amount} 次；请在 Retry-After 所示秒数后重试"},
    "ip_rate_limited": {"en": "This address may make {amount} such requests per {seconds} seconds; retry after Retry-After seconds", "zh": "该地址每 {seconds} 秒最多发出 {amount} 次此类请求；请在 Retry-After 所示秒数后重试"},
    "idempotency_key_reused": {"en": "This Idempotency-Key was used for a different request", "zh": "该 Idempotency-Key 已用于另一个不同的请求"},
    "idempotency_key_in_use": {"en": "A request with this Idempotency-Key is still in progress", "zh": "使用该 Idempotency-Key 的请求仍在处理中"},
    "internal_error": {"en": "Internal error; quote the request id when reporting it", "zh": "服务器内部错误；反馈时请提供请求编号"},
    "unavailable": {"en": "Service unavailable", "zh": "服务暂不可用"},
    "slug_taken": {"en": "This workspace address is taken", "zh": "该商家空间地址已被占用"},
    "email_taken": {"en": "This email is already a member", "zh": "该邮箱已是成员"},
    "plan_limit": {"en": "Your plan's limit is reached", "zh": "已达到套餐上限"},
    "length_required": {"en": "Content-Length required", "zh": "需要 Content-Length"},
    "blob_link_invalid": {"en": "This link is not valid", "zh": "该链接无效"},
    "blob_link_expired": {"en": "This link has expired", "zh": "该链接已过期"},
    "blob_too_large": {"en": "The file is larger than allowed", "zh": "文件超过允许的大小"},
    "blob_type_refused": {"en": "This type of file is not accepted here", "zh": "此处不接受该类型的文件"},
    "blob_form_expected": {"en": "Unsupported media type: send multipart/form-data", "zh": "不支持的媒体类型：请发送 multipart/form-data"},
    "sign_in": {"en": "Sign in", "zh": "登录"},
    "workspace": {"en": "Workspace", "zh": "商家空间"},
    "email": {"en": "Email", "zh": "邮箱"},
    "password": {"en": "Password", "zh": "密码"},
    "bad_credentials": {"en": "Wrong workspace, email or password", "zh": "商家空间、邮箱或密码错误"},
    "consent_title": {"en": "Allow {client} to access your workspace?", "zh": "允许 {client} 访问您的商家空间吗？"},
    "allow": {"en": "Allow", "zh": "允许"},
    "deny": {"en": "Deny", "zh": "拒绝"},
    "signed_in_as": {"en": "Signed in as {email}", "zh": "当前登录：{email}"},
}


def request_locale() -> str:
    """``zh`` or ``en``, from the current request's ``Accept-Language`` (English by default)."""
    if not has_request_context():
        return "en"
    best = request.accept_languages.best_match(["en", "zh", "zh-CN", "zh-Hans", "zh-TW"])
    return "zh" if best and best.startswith("zh") else "en"


def translate(key: str, locale: str | None = None, **values: str) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    text = entry.get(locale or request_locale()) or entry["en"]
    return text.format(**values) if values else text
