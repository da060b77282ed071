"""An id or a field name that is blank once spaces and invisible characters are removed is an
input error, never a value: a grant with id `\\u200b` or a field named `\\u200b` read as real."""

from __future__ import annotations

import pytest

import finpolicy as fp

BLANK = ["   ", "\u200b", "\ufeff ", "\u3000"]


@pytest.mark.parametrize("blank", BLANK)
def test_a_field_named_only_with_invisible_characters_is_refused(blank: str) -> None:
    with pytest.raises(fp.InputError, match="name: the field name is blank"):
        fp.DataField(name=blank)


@pytest.mark.parametrize("blank", [*BLANK, "\x00"])
def test_a_grant_whose_id_is_blank_is_refused(blank: str) -> None:
    with pytest.raises(fp.InputError) as info:
        fp.AccessGrant.parse({"id": blank})
    assert info.value.problems[0].path == "id"
    assert "blank id" in info.value.problems[0].message


def test_a_record_of_more_fields_than_a_long_list_is_refused_at_once() -> None:
    """200,000 fields took 13 s to classify one by one (a request body can carry them)."""
    from finpolicy.limits import MAX_LONG_ITEMS

    record = {f"f{i}": "x" for i in range(MAX_LONG_ITEMS + 1)}
    with pytest.raises(fp.InputError, match="more than 10,000; scan a table") as info:
        fp.PolicyEngine().classify_record(record)
    assert info.value.problems[0].code == "too_large"
