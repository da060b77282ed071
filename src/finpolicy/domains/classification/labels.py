"""How classification facts read in rule text (``finpolicy.rules.render``)."""

from __future__ import annotations

from types import MappingProxyType

from finpolicy.domains.detectors import DETECTORS
from finpolicy.rules.render import FactLabel as L

LABELS = MappingProxyType({
    "field.name": L("the field's name", "字段名"),
    "field.tags": L("the field's tags", "字段标签"),
    "field.derived": L("the field {is} derived from other fields", "派生字段"),
    "field.sample_count": L("the number of sample values", "样本数"),
    "detected": L("the detectors that recognised the field's values", "识别出的内容类型"),
    **{f"detector.{name}.share": L(f"the share of sample values that look like "
                                   f"{name.replace('_', ' ')}", f"{name} 样本占比")
       for name in DETECTORS},
    "decision.level_rank": L("the rank of the level decided", "定级序号"),
})
