"""The facts a condition may name, told when it names another: ``{field: name, ...}`` in a
classification rule is ``unknown field `name` (did you mean `field.name`?)``, and a name close
to none lists the facts the rule reads, so an author new to a kind need not guess them."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from finpolicy.documents.yamlsource import Path
from finpolicy.rules.parse import ConditionParser

__all__ = ["HintingParser", "field_hint"]

_UNKNOWN = re.compile(r"^unknown field `([^`]*)`$")


class HintingParser(ConditionParser):
    """A condition parser whose unknown-field problems name the facts the rule may read."""

    def _fail(self, path: Path, message: str, code: str) -> None:
        found = _UNKNOWN.match(message)
        if code == "unknown_field" and found is not None and self.fields is not None:
            message += field_hint(found.group(1), self.fields)
        super()._fail(path, message, code)


def field_hint(word: str, fields: Iterable[str]) -> str:
    """`` (did you mean `field.name`?)`` for a fact's last name, else the facts, in short."""
    names = sorted(fields)
    ending = [f for f in names if f.rsplit(".", 1)[-1] == word or f.endswith(f".{word}")]
    if len(ending) == 1:
        return f" (did you mean `{ending[0]}`?)"
    return f"; a condition here reads {', '.join(_grouped(names))}" if names else ""


def _grouped(names: list[str]) -> list[str]:
    """``detector.email.share``, ``detector.passport.share`` … as ``detector.<name>.share``."""
    families: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name in names:
        parts = name.split(".")
        if len(parts) == 3:
            families[(parts[0], parts[2])].append(name)
    out: list[str] = []
    for name in names:
        parts = name.split(".")
        family = families.get((parts[0], parts[-1])) if len(parts) == 3 else None
        if family is not None and len(family) >= 3:
            short = f"{parts[0]}.<name>.{parts[2]}"
            if short not in out:
                out.append(short)
        else:
            out.append(name)
    return out
