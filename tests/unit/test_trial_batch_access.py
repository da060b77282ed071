"""Access tables at their boundaries: text columns of every Arrow kind, in chunks."""

from __future__ import annotations

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

import finpolicy as fp  # noqa: E402
from finpolicy.errors import InputError  # noqa: E402

ENGINE = fp.PolicyEngine()
AT = "2026-03-02T10:00+08:00"


@pytest.mark.parametrize("text", ["large_string", "string"])
def test_subject_ids_of_large_text_are_right_in_every_chunk(text: str) -> None:
    # a polars frame hands its texts out as large_string; after the first chunk pyarrow's
    # ascii_lower read each slice's values from the start of the column's data, so
    # subject_id came out as another row's bytes ('\x00\x00…' or an ArrowInvalid traceback)
    ids = [f"User{i}" for i in range(7)] + ["Ｕ８", "u  9"]
    table = pa.table({
        "subject.id": pa.array(ids, getattr(pa, text)()),
        "subject.roles": ["teller"] * len(ids), "action": ["read"] * len(ids),
        "purpose": ["account_service"] * len(ids),
        "resource.type": ["customer_record"] * len(ids),
        "resource.data_level": ["ordinary"] * len(ids),
        "resource.category": ["basic_identity"] * len(ids)})
    got = ENGINE.evaluate_table("access", table, as_of=AT, chunk_rows=2)
    assert got.column("subject_id").to_pylist() == \
        [f"user{i}" for i in range(7)] + ["u8", "u 9"]


def test_a_key_column_joins_the_decisions_back_to_their_requests() -> None:
    # a request has no id, and every column must be one of its fields, so decisions on
    # Spark (which keeps no row order) could not be joined back to their requests
    rows = 5
    table = pa.table({
        "request_id": [f"r{i}" for i in range(rows)],
        "subject.id": ["u1"] * rows, "subject.roles": ["teller", "", "teller", "x", "teller"],
        "action": ["read"] * rows, "purpose": ["account_service"] * rows,
        "resource.type": ["customer_record"] * rows,
        "resource.data_level": ["ordinary", "ordinary", "core", "ordinary", "ordinary"],
        "resource.category": ["basic_identity"] * rows,
        "recipient": [None, None, None, None, "partner"]})
    got = ENGINE.evaluate_table("access", table, as_of=AT, key="request_id", chunk_rows=2)
    want = ENGINE.evaluate_table("access", table.drop_columns(["request_id"]), as_of=AT,
                                 chunk_rows=2)
    assert got.column_names == ["request_id", *want.column_names]
    assert got.column("request_id").to_pylist() == [f"r{i}" for i in range(rows)]
    assert got.drop_columns(["request_id"]).equals(want)
    for key, message in (("nope", "has no column `nope`"), ("subject.id", "decision"),
                         (5, "expected a column name")):
        if key == "subject.id":
            table = table.append_column("subject_id", table.column("request_id"))
            key = "subject_id"
        with pytest.raises(InputError, match=message):
            ENGINE.evaluate_table("access", table, as_of=AT, key=key)


def test_field_levels_in_an_arrow_map_are_read_as_the_guide_says() -> None:
    # the guide names an Arrow map for resource.fields; it raised ArrowNotImplementedError
    # ('list_value_length' has no kernel for map<string, string>)
    fields = [{"name": "ordinary", "id_number": "core"}, None, {}, {"phone": "important"}]
    n = len(fields)
    table = pa.table({
        "subject.id": ["u1"] * n, "subject.roles": ["teller"] * n,
        "subject.department": ["retail"] * n, "subject.branch": ["BJ01"] * n,
        "action": ["read"] * n, "purpose": ["account_service"] * n,
        "resource.type": ["customer_record"] * n, "resource.data_level": ["ordinary"] * n,
        "resource.category": ["basic_identity"] * n, "resource.department": ["retail"] * n,
        "resource.branch": ["BJ01"] * n,
        "resource.fields": pa.array([None if f is None else list(f.items()) for f in fields],
                                    pa.map_(pa.string(), pa.string()))})
    got = ENGINE.evaluate_table("access", table, as_of=AT, chunk_rows=3)
    want = []
    for cells in fields:
        resource = {"type": "customer_record", "data_level": "ordinary",
                    "category": "basic_identity", "department": "retail", "branch": "BJ01"}
        if cells is not None:
            resource["fields"] = cells
        want.append(list(ENGINE.authorize({
            "subject": {"id": "u1", "roles": ["teller"], "department": "retail",
                        "branch": "BJ01"},
            "action": "read", "purpose": "account_service", "resource": resource,
            "as_of": AT}).masked_fields))
    assert got.column("masked_fields").to_pylist() == want == [["id_number"], [], [], ["phone"]]
