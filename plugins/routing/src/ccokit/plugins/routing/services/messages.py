"""Routing's refusals, in English and Chinese (see :mod:`ccokit_sdk.refusals`).

Services raise :class:`Invalid` (or :class:`Taken`, answered 409) with field errors made of
:class:`Message`; the views render them in the caller's language with :data:`CATALOGUE`.
"""

from __future__ import annotations

from ccokit_sdk.refusals import Catalogue, Invalid, Message

__all__ = ["CATALOGUE", "Invalid", "Message", "Taken"]

CATALOGUE = Catalogue({
    "name_taken": {"en": "Another one already has this name.", "zh": "已有同名的对象。"},
    "unknown_group": {"en": "No routing group {id} in this workspace.", "zh": "本工作区没有分组 {id}。"},
    "unknown_member": {"en": "No member {id} in this workspace.", "zh": "本工作区没有成员 {id}。"},
    "inactive_member": {"en": "Member {id} is deactivated.", "zh": "成员 {id} 已停用。"},
    "agent_exists": {"en": "This member is already an agent.", "zh": "该成员已是坐席。"},
    "group_in_use": {
        "en": "Queues or agents still use this group ({count}); take it out of them first.",
        "zh": "仍有队列或坐席使用该分组（{count} 个），请先移除。",
    },
    "queue_in_use": {
        "en": "{count} conversations are still in this queue; wait until they end.",
        "zh": "该队列仍有 {count} 个会话，请等它们结束后再删除。",
    },
    "agent_holds_work": {
        "en": "This agent still holds {count} conversations; transfer or complete them first.",
        "zh": "该坐席仍持有 {count} 个会话，请先转接或结束。",
    },
    "unknown_queue": {"en": "No queue {id} in this workspace.", "zh": "本工作区没有队列 {id}。"},
    "not_an_agent": {"en": "Member {id} is not an agent.", "zh": "成员 {id} 不是坐席。"},
    "not_offered": {
        "en": "This conversation is not ringing this agent (the offer moved on or was taken).",
        "zh": "该会话当前没有振铃给该坐席（邀请已转出或已被接起）。",
    },
    "not_assigned": {"en": "This conversation is not with an agent now.", "zh": "该会话当前不在坐席手中。"},
    "not_in_wrap_up": {"en": "This conversation is not in wrap-up.", "zh": "该会话不在话后处理中。"},
    "not_waiting": {
        "en": "This conversation is no longer waiting for an agent.", "zh": "该会话已不在等待坐席。",
    },
    "not_live": {"en": "This conversation is over.", "zh": "该会话已结束。"},
    "not_yours": {"en": "This conversation is another agent's.", "zh": "该会话属于其他坐席。"},
    "agent_unavailable": {
        "en": "That agent cannot take it now (not online, ringing, wrapping up or without a free seat).",
        "zh": "该坐席现在无法接待（不在线、正在振铃、话后处理中或没有空闲席位）。",
    },
    "not_agent_token": {
        "en": "Name the agent (agent_id): this token acts for no member.",
        "zh": "请指定坐席（agent_id）：该令牌不代表任何成员。",
    },
})


class Taken(Invalid):
    """A value that must be unique is someone else's (a name, a member who is already an
    agent): answered 409 rather than 422."""
