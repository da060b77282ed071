"""How classification facts read in rule text (``finpolicy.rules.render``)."""

from __future__ import annotations

from types import MappingProxyType

from finpolicy.domains.detectors import DETECTORS
from finpolicy.rules.render import FactLabel as L

_IN_TEXT = "_in_text"


def _share(name: str) -> L:
    if name.endswith(_IN_TEXT):
        base = name.removesuffix(_IN_TEXT)
        return L(f"the share of sample values that hold a {base.replace('_', ' ')} inside "
                 "their text", f"文本中含 {base} 的样本占比")
    return L(f"the share of sample values that look like {name.replace('_', ' ')}",
             f"{name} 样本占比")


LABELS = MappingProxyType({
    "field.name": L("the field's name", "字段名"),
    "field.tags": L("the field's tags", "字段标签"),
    "field.derived": L("the field {is} derived from other fields", "派生字段"),
    "field.sample_count": L("the number of sample values", "样本数"),
    "detected": L("the detectors that recognised the field's values", "识别出的内容类型"),
    **{f"detector.{name}.share": _share(name) for name in DETECTORS},
    "decision.level_rank": L("the rank of the level decided", "定级序号"),
})
