"""Strings of the sign-in and consent pages that the shared catalogue does not have (yet).

:func:`page_text` looks here first and falls back to :func:`ccokit.platform.messages.translate`,
so the pages use the shared keys (``sign_in``, ``consent_title``, ``allow`` …) where they exist.
Keys move to ``messages.py`` if other pages come to need them.
"""

from __future__ import annotations

from ccokit.platform.messages import request_locale, translate

__all__ = ["PAGE_TEXT", "page_text", "scope_description"]

PAGE_TEXT: dict[str, dict[str, str]] = {
    "authorize_title": {"en": "Authorize an application", "zh": "授权应用"},
    "sign_in_intro": {
        "en": "Sign in to your workspace to let {client} access it.",
        "zh": "请登录您的商家空间，以允许 {client} 访问。",
    },
    "sign_out": {"en": "Sign out", "zh": "退出登录"},
    "wrong_workspace": {
        "en": "This application belongs to another workspace.",
        "zh": "该应用属于其他商家空间。",
    },
    "scopes_granted": {"en": "It will be able to:", "zh": "它将能够："},
    "scopes_withheld": {
        "en": "Your role cannot grant these, so they are left out:",
        "zh": "您的角色无权授予以下权限，这些权限将不包含在授权中：",
    },
    "nothing_grantable": {
        "en": "Your role cannot grant any of the permissions this application asks for.",
        "zh": "您的角色无权授予该应用请求的任何权限。",
    },
    "invalid_request": {"en": "This authorization request is not valid", "zh": "该授权请求无效"},
    "unknown_client": {"en": "Unknown application", "zh": "未知的应用"},
    "form_expired": {"en": "The form expired. Please try again.", "zh": "表单已过期，请重试。"},
    "start_again": {"en": "Start again", "zh": "重新开始"},
}

#: Chinese descriptions of the platform's own scopes; plugins' scopes show their own description.
SCOPE_TEXT: dict[str, dict[str, str]] = {
    "tenant:read": {"zh": "查看商家空间、套餐和插件"},
    "members:read": {"zh": "查看商家空间的成员"},
    "tenant:admin": {"zh": "管理商家空间：成员、应用、插件、暂停和删除"},
    "webhooks:manage": {"zh": "注册 Webhook 端点、轮换签名密钥、查看并重放投递"},
}


def page_text(key: str, locale: str | None = None, **values: str) -> str:
    """The text of ``key`` in the request's language (English by default)."""
    entry = PAGE_TEXT.get(key)
    if entry is None:
        return translate(key, locale, **values)
    text = entry.get(locale or request_locale()) or entry["en"]
    return text.format(**values) if values else text


def scope_description(name: str, default: str, locale: str | None = None) -> str:
    """How a scope is described on the consent page."""
    return SCOPE_TEXT.get(name, {}).get(locale or request_locale(), default)
