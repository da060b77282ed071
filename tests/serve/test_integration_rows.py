"""``field_levels`` and ``mask_fields`` take a database row as an ORM gives it: a UUID key,
bytes, a NaN are classified by their text, never a crash of the application's view."""

from __future__ import annotations

import uuid

import finpolicy as fp
from finpolicy.integrations import field_levels

ENGINE = fp.PolicyEngine()
ID_NUMBER = "11010519491231002X"


def test_a_row_with_a_uuid_bytes_and_nan_is_classified() -> None:
    """A row with a UUID primary key (Django's UUIDField, SQLAlchemy's Uuid) raised
    InputError "record.id: expected text, a number, a date or a list of them, got UUID",
    a 500 from the view that wanted to mask it; bytes and NaN did as well."""
    row = {"id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
           "document": ID_NUMBER.encode(), "score": float("nan"),
           "aliases": ("a", None, uuid.uuid4())}
    levels = field_levels(ENGINE, row)
    assert set(levels) == set(row)
    assert levels["document"] == field_levels(ENGINE, {"document": ID_NUMBER})["document"]
    assert levels["document"] != "ordinary"  # the bytes were read: an ID number by content
