"""How complaint facts read in rule text (``finpolicy.rules.render``)."""

from __future__ import annotations

from types import MappingProxyType

from finpolicy.rules.render import FactLabel as L

LABELS = MappingProxyType({
    "complaint.category": L("the complaint's category", "投诉类别"),
    "complaint.severity": L("the complaint's severity", "投诉严重程度"),
    "complaint.severity_rank": L("the rank of the complaint's severity", "严重程度序号"),
    "complaint.channel": L("the channel the complaint came through", "投诉渠道"),
    "complaint.flags": L("the complaint's flags", "投诉标记"),
    "complaint.flag_count": L("the number of the complaint's flags", "投诉标记数"),
    "decision.status": L("the complaint's status", "处理状态"),
    "decision.route": L("the route the complaint takes", "处理路径"),
    "decision.milestone_count": L("the number of milestones", "节点数"),
    "decision.min_hours_to_due": L("the hours from receipt to the earliest deadline",
                                   "距最早期限小时数"),
    "decision.breached_count": L("the number of deadlines missed", "逾期节点数"),
    "decision.paused": L("the clock {is} paused", "计时暂停"),
})
