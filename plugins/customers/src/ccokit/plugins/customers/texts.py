"""What the customers plugin says to people, in English and Chinese.

The language is the request's (``Accept-Language``, through ``current().locale``); outside a
request, English. Keys are stable; the wording may change. Besides the plugin's own messages,
:func:`translate_errors` renders marshmallow's built-in field errors ("Missing data for required
field.") in Chinese, so a merchant's console can show every 422 in the merchant's language.
"""

from __future__ import annotations

import re
from typing import Any

from ccokit_sdk.plugin import current

__all__ = ["TEXTS", "locale", "text", "translate_errors"]

TEXTS: dict[str, dict[str, str]] = {
    "required": {"en": "This is required.", "zh": "此项必填。"},
    "email": {"en": "Not a valid email address.", "zh": "邮箱地址无效。"},
    "phone": {
        "en": "A phone number is 5-15 digits, optionally after + (or 00); spaces, dashes, dots "
              "and brackets are ignored.",
        "zh": "电话号码为 5-15 位数字，可带前导 +（或 00）；空格、连字符、点和括号会被忽略。",
    },
    "channel": {
        "en": "A channel is 1-40 lowercase letters, digits, _ or -, starting with a letter (e.g. wechat).",
        "zh": "渠道为 1-40 个小写字母、数字、_ 或 -，以字母开头（如 wechat）。",
    },
    "key": {
        "en": "1-40 lowercase letters, digits or _, starting with a letter (e.g. member_id).",
        "zh": "1-40 个小写字母、数字或 _，以字母开头（如 member_id）。",
    },
    "identifier": {
        "en": "1-200 characters, no line breaks.",
        "zh": "1-200 个字符，不能换行。",
    },
    "tag": {
        "en": "Tags are 1-40 characters without ; , or line breaks, and no spaces at either end.",
        "zh": "标签为 1-40 个字符，不含 ; , 或换行，首尾不能有空格。",
    },
    "locale": {
        "en": "A language tag such as zh, en or zh-CN.",
        "zh": "语言标签，如 zh、en 或 zh-CN。",
    },
    "names": {
        "en": "Names by language: keys en and zh, each 1-60 characters.",
        "zh": "按语言填写名称：键为 en 和 zh，每个 1-60 个字符。",
    },
    "empty_profile": {
        "en": "Give at least a name, an email, a phone, a chat id or an external id.",
        "zh": "请至少填写姓名、邮箱、电话、聊天账号或外部编号之一。",
    },
    "duplicate": {"en": "{value} is listed twice.", "zh": "{value} 重复出现。"},
    "unknown_tier": {"en": "No tier has the key {key}.", "zh": "没有键为 {key} 的会员等级。"},
    "contact_taken": {
        "en": "{value} already belongs to customer {customer_id}.",
        "zh": "{value} 已属于客户 {customer_id}。",
    },
    "contact_taken_detail": {
        "en": "A contact point or external id already names customer {customer_id}; look it up or "
              "merge the two profiles.",
        "zh": "联系方式或外部编号已属于客户 {customer_id}；请查找该客户或合并两个档案。",
    },
    "erased": {
        "en": "Customer {customer_id} was erased; an erased profile cannot change.",
        "zh": "客户 {customer_id} 已被删除个人数据，不能再修改。",
    },
    "merge_same": {
        "en": "Both ids name the same customer ({customer_id}).",
        "zh": "两个编号指向同一个客户（{customer_id}）。",
    },
    "merge_unknown_source": {"en": "No customer has this id.", "zh": "没有此编号的客户。"},
    "stale": {
        "en": "This {what} changed since you read it (now ETag {etag}); read it again and retry.",
        "zh": "该{what}在您读取后已被修改（当前 ETag 为 {etag}）；请重新读取后再试。",
    },
    "raced": {
        "en": "This {what} was changed by another request at the same moment; read it again and retry.",
        "zh": "该{what}同时被另一个请求修改；请重新读取后再试。",
    },
    "what_customer": {"en": "customer", "zh": "客户"},
    "what_tier": {"en": "tier", "zh": "会员等级"},
    "lookup_one": {
        "en": "Give exactly one of: email, phone, chat_channel with chat_id, external_kind with "
              "external_id.",
        "zh": "请只提供以下之一：email、phone、chat_channel 与 chat_id、external_kind 与 external_id。",
    },
    "pair": {"en": "Give {other} too.", "zh": "请同时提供 {other}。"},
    "tier_key_taken": {"en": "Another tier has the key {key}.", "zh": "已有键为 {key} 的会员等级。"},
    "tier_rank_taken": {
        "en": "Another tier has rank {rank}; ranks order the ladder, one tier each.",
        "zh": "已有等级序号为 {rank} 的会员等级；每个序号只能对应一个等级。",
    },
    "tier_in_use": {
        "en": "{count} customers hold this tier; move them to another tier first.",
        "zh": "有 {count} 位客户属于该等级；请先将他们移到其他等级。",
    },
    "too_many_tiers": {
        "en": "A workspace may have at most {limit} tiers.",
        "zh": "每个商家空间最多可以有 {limit} 个会员等级。",
    },
    "import_file": {
        "en": "Send the CSV file in a form field named file.",
        "zh": "请在名为 file 的表单字段中上传 CSV 文件。",
    },
    "import_failed": {
        "en": "{count} problems in the file; nothing was imported.",
        "zh": "文件中有 {count} 处问题；未导入任何数据。",
    },
    "csv_empty": {"en": "The file has no header row.", "zh": "文件没有表头行。"},
    "csv_unknown_column": {
        "en": "Unknown column {column}; the columns are: {columns}.",
        "zh": "未知的列 {column}；可用的列：{columns}。",
    },
    "csv_repeated_column": {"en": "The column {column} appears twice.", "zh": "列 {column} 出现了两次。"},
    "csv_no_identity_column": {
        "en": "The header needs at least one of the columns email, phone, external_ids.",
        "zh": "表头至少需要 email、phone、external_ids 中的一列。",
    },
    "csv_nul_character": {
        "en": "A cell holds the NUL character (U+0000), which cannot be stored.",
        "zh": "单元格含有无法保存的 NUL 字符（U+0000）。",
    },
    "csv_extra_cells": {
        "en": "This row has {count} cells but the header has {columns} columns.",
        "zh": "该行有 {count} 个单元格，但表头只有 {columns} 列。",
    },
    "csv_no_identity": {
        "en": "Each row needs an email, a phone or an external id, so that it names one customer.",
        "zh": "每行至少需要邮箱、电话或外部编号之一，以便对应到唯一客户。",
    },
    "csv_external": {
        "en": "External ids are kind:value pairs separated by ; (e.g. member_id:M001;shop_account:tb_wang).",
        "zh": "外部编号为以 ; 分隔的 类型:值（如 member_id:M001;shop_account:tb_wang）。",
    },
    "csv_two_customers": {
        "en": "The contact points of this row belong to different customers: {customers}.",
        "zh": "该行的联系方式分属不同客户：{customers}。",
    },
    "csv_too_many_rows": {
        "en": "The file has more than {limit} rows; split it or raise import_max_rows.",
        "zh": "文件超过 {limit} 行；请拆分文件或调高 import_max_rows。",
    },
    "csv_encoding": {
        "en": "The file is not valid {encoding} here; save it as UTF-8, or send encoding=gb18030 "
              "for a file saved by Excel in Chinese.",
        "zh": "文件在此处不是有效的 {encoding} 编码；请另存为 UTF-8，或对中文版 Excel 保存的文件使用 "
              "encoding=gb18030。",
    },
    "csv_malformed": {"en": "Not valid CSV: {reason}.", "zh": "CSV 格式错误：{reason}。"},
    "csv_too_large": {
        "en": "The file is larger than {limit} bytes; split it or raise import_max_bytes.",
        "zh": "文件超过 {limit} 字节；请拆分文件或调高 import_max_bytes。",
    },
}

#: marshmallow's built-in messages and their Chinese; ``{0}``… are the captured parts.
_BUILTIN_ZH: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(f"^{pattern}$"), zh)
    for pattern, zh in (
        (r"Missing data for required field\.", "此项必填。"),
        (r"Field may not be null\.", "此项不能为空值（null）。"),
        (r"Unknown field\.", "未知字段。"),
        (r"Invalid input type\.", "输入类型无效。"),
        (r"Invalid value\.", "值无效。"),
        (r"Not a valid string\.", "必须是字符串。"),
        (r"Not a valid integer\.", "必须是整数。"),
        (r"Not a valid number\.", "必须是数字。"),
        (r"Not a valid boolean\.", "必须是 true 或 false。"),
        (r"Not a valid list\.", "必须是列表。"),
        (r"Not a valid mapping type\.", "必须是对象。"),
        (r"Not a valid email address\.", "邮箱地址无效。"),
        (r"Not a valid cursor\.", "分页游标无效。"),
        (r"Not a valid id of this kind \(expected (\w+)_…\)\.", "编号无效（应形如 {0}_…）。"),
        (r"Shorter than minimum length (\d+)\.", "长度不能少于 {0}。"),
        (r"Longer than maximum length (\d+)\.", "长度不能超过 {0}。"),
        (r"Length must be between (\d+) and (\d+)\.", "长度必须在 {0} 到 {1} 之间。"),
        (r"Length must be (\d+)\.", "长度必须为 {0}。"),
        (r"Must be greater than or equal to (-?\d+) and less than or equal to (-?\d+)\.",
         "必须大于等于 {0} 且小于等于 {1}。"),
        (r"Must be greater than or equal to (-?\d+)\.", "必须大于等于 {0}。"),
        (r"Must be less than or equal to (-?\d+)\.", "必须小于等于 {0}。"),
        (r"Must be one of: (.*)\.", "必须是以下之一：{0}。"),
    )
)


def locale() -> str:
    """``zh`` or ``en``: the request's language, English outside a request."""
    try:
        return "zh" if current().locale == "zh" else "en"
    except RuntimeError:
        return "en"


def text(message: str, /, lang: str | None = None, **values: Any) -> str:
    """The message ``message`` of :data:`TEXTS` in ``lang`` (the request's), filled with ``values``."""
    entry = TEXTS[message]
    wording = entry.get(lang or locale()) or entry["en"]
    return wording.format(**values) if values else wording


def _builtin_zh(message: str) -> str:
    for pattern, zh in _BUILTIN_ZH:
        match = pattern.match(message)
        if match:
            return zh.format(*match.groups())
    return message


def translate_errors(messages: Any, lang: str | None = None) -> Any:
    """marshmallow's error tree with its built-in English messages in ``lang`` (the request's)."""
    if (lang or locale()) != "zh":
        return messages
    if isinstance(messages, dict):
        return {key: translate_errors(value, "zh") for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate_errors(value, "zh") for value in messages]
    if isinstance(messages, str):
        return _builtin_zh(messages)
    return messages
