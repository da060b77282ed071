"""A blank recipient is an input error naming ``recipient``, never a recipient outside the
bank: a padded empty cell of an export was denied as ``outside-without-consent``, a rule about
data the request never sent out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import finpolicy as fp
from finpolicy.errors import InputError

ENGINE = fp.PolicyEngine()
AT = dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _request(recipient: str | None) -> dict[str, Any]:
    return {"subject": {"id": "u-5", "roles": ["data_analyst"], "department": "retail"},
            "action": "export", "purpose": "analytics", "as_of": AT.isoformat(),
            "resource": {"type": "customer_record", "data_level": "ordinary",
                         "category": "business", "department": "retail"},
            **({} if recipient is None else {"recipient": recipient})}


@pytest.mark.parametrize("blank", [" ", "   ", "\u200b", "\u3000", " \t"])
def test_a_blank_recipient_is_an_error_naming_it(blank: str) -> None:
    with pytest.raises(InputError) as info:
        ENGINE.authorize(_request(blank))
    (problem,) = info.value.problems
    assert problem.path == "recipient"
    assert "blank recipient" in problem.message and "leave `recipient` out" in problem.message
    # a named one, padded or not, still needs consent; none keeps the data in the bank
    outside = ENGINE.authorize(_request(" partner-x "))
    assert outside.rule_ids == ("outside-without-consent",)
    inside = ENGINE.authorize(_request(None))
    assert inside.allowed and inside.rule_ids == ("allow-by-role",)


def test_a_table_row_with_a_blank_recipient_is_an_error_at_its_line(tmp_path: Path) -> None:
    header = ("subject.id,subject.roles,subject.department,action,purpose,resource.type,"
              "resource.data_level,resource.category,resource.department,recipient\n")
    row = "u-5,data_analyst,retail,export,analytics,customer_record,ordinary,business,retail,{}\n"
    path = tmp_path / "requests.csv"
    path.write_text(header + row.format("partner-x") + row.format("  "), encoding="utf-8")
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("access", path, as_of=AT)
    (problem,) = info.value.problems
    assert (problem.path, problem.file, problem.line) == ("recipient", str(path), 3)
