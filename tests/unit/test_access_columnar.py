"""Access requests over tables give exactly ``authorize``'s decisions: plain requests decided
column-wise, every other row (grants, field levels, recipients, consent, odd values) by the
row engine; typed columns and text columns (as CSV gives them), every source kind."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import finpolicy as fp  # noqa: E402
from finpolicy.columnar.workdays import to_micros  # noqa: E402
from finpolicy.domains.access.model import AttachedConsent  # noqa: E402
from finpolicy.domains.access.strategies import (  # noqa: E402
    APPROVER,
    access_requests,
    approver_assignments,
)
from finpolicy.errors import InputError  # noqa: E402

ENGINE = fp.PolicyEngine()
TZ = dt.timezone(dt.timedelta(hours=8))
AT = dt.datetime(2026, 3, 2, 10, tzinfo=TZ)
TIME = pa.timestamp("us", tz="UTC")
SPEC = next(iter(ENGINE.bundle.policies("AccessPolicy"))).spec
ROLES = [*SPEC.roles, "contractor", "teller ", "Teller"]
PURPOSES = [*SPEC.purposes, "unknown_purpose"]
IDS = ["u1", "U1 ", "u2", "Ｕ２", "u  3", "u\u200b4", APPROVER, "x" * 40]
PLACES = [None, "BJ01", "bj01 ", "SH02", "ＳＨ０２", "retail", "Retail", "corporate", "\u200b"]
DIRECTORY = approver_assignments()
LISTS = ("subject.roles",)
REQUEST = {"subject": {"id": "u1", "roles": ["teller"]}, "action": "read",
           "resource": {"type": "customer_record", "data_level": "ordinary",
                        "category": "basic_identity"}, "purpose": "service"}


def _grant(rng: random.Random, at: dt.datetime, subject: str) -> dict[str, Any]:
    approved = at + dt.timedelta(hours=rng.choice([-30, -2, 3]))
    return {"id": f"g{rng.randrange(100)}", "grantee": rng.choice([subject, "u2"]),
            "purpose": rng.choice(SPEC.purposes), "resource_type": "customer_record",
            "data_level": rng.choice(SPEC.levels), "category": rng.choice(SPEC.categories),
            "requested_at": approved - dt.timedelta(hours=2),
            "approved_by": rng.choice([APPROVER, subject, "u5"]),
            "approver_roles": ["department_head"], "approved_at": approved,
            "expires_at": at + dt.timedelta(days=rng.choice([-1, 5, 200]))}


def _request(rng: random.Random) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A request in mapping form (every role, action, level, category and purpose of the
    pack, unknown and oddly spelt values), and sometimes a consent decision."""
    subject = rng.choice(IDS)
    data: dict[str, Any] = {
        "subject": {"id": subject, "roles": rng.sample(ROLES, rng.choice([0, 1, 1, 1, 2, 3]))},
        "action": rng.choice(SPEC.actions), "purpose": rng.choice(PURPOSES),
        "resource": {"type": rng.choice(["customer_record", "account"]),
                     "data_level": rng.choice(SPEC.levels),
                     "category": rng.choice(SPEC.categories)}}
    if rng.random() < 0.1:
        data["subject"]["roles"] *= 2  # held twice: counted once
    for owner, key in ((data["subject"], "department"), (data["subject"], "branch"),
                       (data["resource"], "department"), (data["resource"], "branch")):
        place = rng.choice(PLACES)
        if place is not None:
            owner[key] = place
    at = AT
    if rng.random() < 0.4:  # its own time, in some offset, some a day from the table's
        offset = dt.timezone(dt.timedelta(hours=rng.choice([-11, 0, 8, 14])))
        at = (AT + dt.timedelta(hours=rng.randrange(-40, 40))).astimezone(offset)
        data["as_of"] = at
    special = rng.random()
    consent = None
    if special < 0.08:
        data["grants"] = [_grant(rng, at, subject.strip().lower())
                          for _ in range(rng.choice([1, 2]))]
        if rng.random() < 0.5:  # an auditor's proper grant: allowed unless it expired
            data.update(action="read", purpose="audit")
            data["subject"]["roles"] = ["compliance_auditor"]
            resource = data["resource"]
            data["grants"][0].update(grantee=subject, purpose="audit",
                                     resource_type=resource["type"],
                                     data_level=resource["data_level"],
                                     category=resource["category"])
    elif special < 0.12:
        data["recipient"] = "partner-bank"
        if rng.random() < 0.7:
            consent = {"outcome": rng.choice(["allow", "deny"]), "as_of": at,
                       "recipient": rng.choice(["partner-bank", "other"]),
                       "input_digest": "d" * 64}
    elif special < 0.15:
        data["resource"]["fields"] = {"phone": rng.choice(SPEC.levels),
                                      "name": rng.choice(SPEC.levels)}
    return data, consent


def _cells(data: dict[str, Any], consent: dict[str, Any] | None, typed: bool
           ) -> dict[str, Any]:
    """The request as one table row: dotted columns; lists as Arrow lists (``typed``) or
    ``;``-separated text, times as instants or ISO text, grants and fields as JSON."""
    row: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for inner, item in value.items():
                row[f"{key}.{inner}"] = item
        else:
            row[key] = value
    if consent is not None:
        row.update({f"consent.{k}": v for k, v in consent.items()})
    for key, value in list(row.items()):
        if key in ("grants", "resource.fields"):
            row[key] = json.dumps(value, default=dt.datetime.isoformat)
        elif isinstance(value, dt.datetime):
            row[key] = to_micros(value) if typed else value.isoformat()
        elif key in LISTS and not typed:
            row[key] = ";".join(v.strip() for v in value) if value else None
    return row


def _table(rows: list[dict[str, Any]], typed: bool) -> Any:
    names = sorted({k for r in rows for k in r})
    columns = {}
    for name in names:
        values = [r.get(name) for r in rows]
        if typed and name in ("as_of", "consent.as_of"):
            columns[name] = pa.array(values, pa.int64()).cast(TIME)
        elif typed and name in LISTS:
            columns[name] = pa.array(values, pa.list_(pa.string()))
        else:
            columns[name] = pa.array(values, pa.string())
    return pa.table(columns)


def _want(data: dict[str, Any], consent: dict[str, Any] | None, typed: bool) -> dict[str, Any]:
    """What the row API decides on the request as the table carries it."""
    if not typed:  # a list in text: items trimmed
        roles = data["subject"]["roles"]
        data = {**data, "subject": {**data["subject"], "roles": [r.strip() for r in roles]}}
    request = fp.AccessRequest.parse({**data, "as_of": data.get("as_of", AT)})
    attached = None if consent is None else AttachedConsent.parse(consent)
    d = ENGINE.authorize(request, consent=attached, directory=DIRECTORY)
    return {"subject_id": request.subject.id, "outcome": d.outcome, "allowed": d.allowed,
            "rule_ids": [h.rule_id for h in d.hits], "reasons": [h.reason for h in d.hits],
            "obligations": list(d.obligations), "grant_id": d.grant_id,
            "grant_failures": list(d.grant_failures), "masked_fields": list(d.masked_fields),
            "consent_decision": d.consent_decision, "as_of": to_micros(d.as_of),
            "policy_id": d.policy.id, "policy_version": d.policy.version}


def _got(table: Any) -> list[dict[str, Any]]:
    return [{**r, "as_of": to_micros(r["as_of"])} for r in table.to_pylist()]


@pytest.mark.parametrize("typed", [True, False])
def test_twenty_thousand_generated_requests_get_exactly_the_row_engines_decisions(
        typed: bool) -> None:
    rng = random.Random(20 + typed)
    cases = [_request(rng) for _ in range(20_000)]
    table = _table([_cells(d, c, typed) for d, c in cases], typed)
    got = _got(ENGINE.evaluate_table("access", table, as_of=AT, directory=DIRECTORY,
                                     chunk_rows=6_000))
    want = [_want(d, c, typed) for d, c in cases]
    differ = [i for i, (g, w) in enumerate(zip(got, want, strict=True)) if g != w]
    assert not differ, (len(differ), got[differ[0]], want[differ[0]])
    outcomes = {(w["outcome"], bool(w["grant_id"]), bool(w["masked_fields"])) for w in want}
    assert {("allow", False, False), ("allow", True, False), ("deny", False, False)} <= outcomes


_TEXT = st.text(st.sampled_from("aAbB ＡＢ\u200b\u00e9_-1"), max_size=6)


@st.composite
def _odd_requests(draw: st.DrawFn) -> tuple[dict[str, Any], None]:
    """Plain requests with any text where ids, roles, purposes and places go."""
    data: dict[str, Any] = {
        "subject": {"id": draw(_TEXT | st.sampled_from(IDS)),
                    "roles": draw(st.lists(_TEXT | st.sampled_from(ROLES), max_size=3))},
        "action": draw(st.sampled_from(SPEC.actions)),
        "purpose": draw(_TEXT | st.sampled_from(PURPOSES)),
        "resource": {"type": draw(_TEXT | st.just("customer_record")),
                     "data_level": draw(st.sampled_from(SPEC.levels)),
                     "category": draw(st.sampled_from(SPEC.categories))}}
    for owner, key in (("subject", "department"), ("subject", "branch"),
                       ("resource", "department"), ("resource", "branch")):
        place = draw(st.none() | _TEXT | st.sampled_from(PLACES[1:]))
        if place is not None:
            data[owner][key] = place
    return data, None


def _from_model(request: Any) -> tuple[dict[str, Any], None]:
    return request.model_dump(mode="python", exclude_none=True), None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_odd_requests() | access_requests().map(_from_model), min_size=1,
                max_size=30), st.booleans())
def test_any_requests_get_the_row_engines_decisions_or_its_error_at_the_row(
        cases: list[tuple[dict[str, Any], None]], typed: bool) -> None:
    if not typed:  # a list in text cannot hold an empty or padded role
        cases = [c for c in cases if all(r.strip() and ";" not in r
                                         for r in c[0]["subject"].get("roles", []))]
    if not cases:
        return
    table = _table([_cells(d, c, typed) for d, c in cases], typed)
    want: list[dict[str, Any]] = []
    for line, (data, consent) in enumerate(cases, start=1):
        try:
            want.append(_want(data, consent, typed))
        except InputError as exc:
            with pytest.raises(InputError) as info:
                ENGINE.evaluate_table("access", table, as_of=AT, directory=DIRECTORY,
                                      chunk_rows=7)
            assert info.value.problems[0].line == line
            assert [p.code for p in info.value.problems] == [p.code for p in exc.problems]
            return
    got = ENGINE.evaluate_table("access", table, as_of=AT, directory=DIRECTORY, chunk_rows=7)
    assert _got(got) == want


def _rows(n: int) -> Any:
    rng = random.Random(3)
    return _table([_cells(*_request(rng), True) for _ in range(n)], True)


def test_an_unknown_action_is_the_row_engines_error_located_at_its_row(tmp_path: Path) -> None:
    import pyarrow.csv as pacsv

    table = _rows(5)
    actions = table.column("action").to_pylist()
    actions[3] = "fly"
    table = table.set_column(table.schema.get_field_index("action"), "action",
                             pa.array(actions))
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("access", table, as_of=AT, chunk_rows=2)
    (problem,) = info.value.problems
    assert (problem.code, problem.path, problem.line) == ("unknown_action", "action", 4)
    pacsv.write_csv(table.drop_columns(["subject.roles"]), tmp_path / "r.csv")
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("access", tmp_path / "r.csv", as_of=AT)
    (problem,) = info.value.problems
    assert (problem.line, problem.file) == (5, str(tmp_path / "r.csv"))  # the header counts


def test_a_row_whose_time_no_policy_covers_is_an_error_at_its_row(tmp_path: Path) -> None:
    """``authorize`` raises NotInForceError for a time before the policy's first version;
    in a table it is the row's error, at its row and file line (it named neither)."""
    import pyarrow.csv as pacsv

    table = _rows(5)
    times = table.column("as_of").to_pylist()
    times[3] = dt.datetime(2020, 3, 2, 2, tzinfo=dt.UTC)
    table = table.set_column(table.schema.get_field_index("as_of"), "as_of",
                             pa.array(times, TIME))
    with pytest.raises(fp.NotInForceError):
        ENGINE.authorize(fp.AccessRequest.parse({**REQUEST, "as_of": times[3]}))
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("access", table, as_of=AT, chunk_rows=2)
    (problem,) = info.value.problems
    assert (problem.code, problem.path, problem.line) == ("not_in_force", "as_of", 4)
    assert "in force on 2020-03-02" in problem.message
    pacsv.write_csv(table.drop_columns(["subject.roles"]), tmp_path / "r.csv")
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("access", tmp_path / "r.csv", as_of=AT)
    (problem,) = info.value.problems
    assert (problem.line, problem.file) == (5, str(tmp_path / "r.csv"))


def test_a_missing_column_an_unknown_column_and_bad_json_are_errors_at_the_row() -> None:
    base = {"subject.id": ["u1"], "action": ["read"], "purpose": ["audit"],
            "resource.type": ["r"], "resource.data_level": ["core"],
            "resource.category": ["business"]}
    for change, code in (({"resource.category": [None]}, "missing"),
                         ({"colour": ["red"]}, "extra_forbidden"),
                         ({"grants": ["[{"]}, "bad_input")):
        with pytest.raises(InputError) as info:
            ENGINE.evaluate_table("access", pa.table({**base, **change}), as_of=AT)
        assert (info.value.problems[0].code, info.value.problems[0].line) == (code, 1)


def test_a_naive_table_time_is_an_error() -> None:
    with pytest.raises(InputError, match="time zone"):
        ENGINE.evaluate_table("access", _rows(2), as_of=dt.datetime(2026, 3, 2))


def test_parquet_csv_pandas_and_polars_sources_give_the_same_table(tmp_path: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = _rows(40)
    want = ENGINE.evaluate_table("access", table, as_of=AT, directory=DIRECTORY).to_pylist()
    pq.write_table(table, tmp_path / "r.parquet")
    got = ENGINE.evaluate_table("access", tmp_path / "r.parquet", as_of=AT,
                                directory=DIRECTORY)
    assert got.to_pylist() == want
    text = table.set_column(table.schema.get_field_index("subject.roles"), "subject.roles",
                            pa.array([";".join(r) or None for r in
                                      table.column("subject.roles").to_pylist()]))
    pacsv.write_csv(text, tmp_path / "r.csv")
    pacsv.write_csv(pa.table({"subject_id": [APPROVER], "role": ["department_head"]}),
                    tmp_path / "assignments.csv")
    got = ENGINE.evaluate_table("access", str(tmp_path / "r.csv"), as_of=AT,
                                directory=tmp_path / "assignments.csv")
    # roles in text are trimmed (`teller ` is read as `teller`): the text table's decisions
    assert got.to_pylist() == ENGINE.evaluate_table("access", text, as_of=AT,
                                                    directory=DIRECTORY).to_pylist()
    pandas = pytest.importorskip("pandas")
    got = ENGINE.evaluate_table("access", table.to_pandas(), as_of=AT, directory=DIRECTORY)
    assert got.to_pylist() == want
    polars = pytest.importorskip("polars")
    got = ENGINE.evaluate_table("access", polars.from_arrow(table), as_of=AT,
                                directory=DIRECTORY)
    assert got.to_pylist() == want
    assert pandas is not None


def test_grants_as_arrow_structs_and_fields_as_columns_are_read() -> None:
    grant = {"id": "g1", "grantee": "u1", "purpose": "audit", "resource_type": "r",
             "data_level": "core", "category": "business",
             "requested_at": AT - dt.timedelta(days=1), "approved_by": APPROVER,
             "approver_roles": ["department_head"], "approved_at": AT - dt.timedelta(hours=2),
             "expires_at": AT + dt.timedelta(days=3)}
    table = pa.table({"subject.id": ["u1", "u1"], "subject.roles": [["compliance_auditor"]] * 2,
                      "action": ["read", "read"], "purpose": ["audit", "audit"],
                      "resource.type": ["r", "r"], "resource.data_level": ["core", "core"],
                      "resource.category": ["business", "business"],
                      "resource.fields.phone": [None, "core"],
                      "grants": pa.array([[grant], [{**grant, "requested_by": None}]])})
    got = ENGINE.evaluate_table("access", table, as_of=AT, directory=DIRECTORY).to_pylist()
    want = ENGINE.authorize({"subject": {"id": "u1", "roles": ["compliance_auditor"]},
                             "action": "read", "purpose": "audit",
                             "resource": {"type": "r", "data_level": "core",
                                          "category": "business", "fields": {"phone": "core"}},
                             "grants": [grant], "as_of": AT}, directory=DIRECTORY)
    assert [r["grant_id"] for r in got] == ["g1", "g1"]
    assert (got[1]["outcome"], got[1]["masked_fields"]) == (want.outcome,
                                                            list(want.masked_fields))


def test_observers_see_every_decision() -> None:
    engine = fp.PolicyEngine()
    seen: list[Any] = []
    table = _rows(30)
    plain = engine.evaluate_table("access", table, as_of=AT, directory=DIRECTORY)
    with engine.observe(lambda doc, ruleset, fact, matched: seen.append(ruleset)):
        watched = engine.evaluate_table("access", table, as_of=AT, directory=DIRECTORY)
    assert seen.count("access") == 30
    assert watched.to_pylist() == plain.to_pylist()


def _finding(f: Any, report: Any) -> dict[str, Any]:
    return {"severity": f.severity, "kind": f.kind, "message": f.message,
            "rule_id": f.rule_id, "cite": f.cite, "grant_id": f.grant_id,
            "subject_id": f.subject_id, "role": f.role, "as_of": report.as_of,
            "policy_id": report.policy.id, "policy_version": report.policy.version}


def _grants_table(grants: list[dict[str, Any]], typed: bool) -> Any:
    names = sorted({k for g in grants for k in g})
    columns = {}
    for name in names:
        values = [g.get(name) for g in grants]
        if name.endswith("_at"):
            columns[name] = pa.array([None if v is None else to_micros(v) for v in values],
                                     pa.int64()).cast(TIME) if typed else \
                pa.array([None if v is None else v.isoformat() for v in values])
        elif name == "approver_roles":
            columns[name] = pa.array(values) if typed else pa.array([";".join(v) or None
                                                                    for v in values])
        else:
            columns[name] = pa.array(values, pa.string())
    return pa.table(columns)


@pytest.mark.parametrize("typed", [True, False])
def test_a_review_of_a_grants_table_finds_what_review_access_finds(typed: bool) -> None:
    rng = random.Random(7)
    grants = [_grant(rng, AT + dt.timedelta(days=rng.choice([-100, 0])), rng.choice(IDS[:3]))
              for _ in range(300)]
    for i, grant in enumerate(grants):
        grant["id"] = f"g{i}"  # a review refuses a grant id given twice
    for grant in grants[::7]:
        grant["approved_by"] = None
    assignments = [*DIRECTORY, {"subject_id": "u1", "role": "customer_manager"},
                   {"subject_id": "u1", "role": "risk_officer"},
                   {"subject_id": "u2", "role": "ghost"}]
    usage = [{"grant_id": "g1", "used_at": AT - dt.timedelta(days=40)}]
    if typed:  # an Arrow timestamp column has one zone: the grants' times as it holds them
        grants = [{k: v.astimezone(dt.UTC) if isinstance(v, dt.datetime) else v
                   for k, v in g.items()} for g in grants]
    report = ENGINE.review_access(grants, assignments, as_of=AT, usage=usage)
    want = [_finding(f, report) for f in report.findings]
    assert {"expired_grant", "sod_conflict", "unknown_role", "self_approved",
            "role_review_overdue"} <= {w["kind"] for w in want}
    table = _grants_table(grants, typed)
    got = ENGINE.evaluate_table("access", table, what="review", as_of=AT,
                                assignments=pa.Table.from_pylist(assignments), usage=usage)
    assert got.to_pylist() == want
    chunked = ENGINE.evaluate_table("access", table, what="review", as_of=AT,
                                    assignments=assignments, usage=usage, chunk_rows=40)
    assert sorted(map(_key, chunked.to_pylist())) == sorted(map(_key, want))


def _key(finding: dict[str, Any]) -> str:
    return repr({**finding, "as_of": to_micros(finding["as_of"])})


def test_a_bad_grant_is_an_error_at_its_row_and_review_options_are_checked() -> None:
    rng = random.Random(8)
    grants = [_grant(rng, AT, "u1") for _ in range(3)]
    grants[1]["expires_at"] = None
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("access", _grants_table(grants, True), what="review", as_of=AT)
    assert (info.value.problems[0].path, info.value.problems[0].line) == ("expires_at", 2)
    with pytest.raises(InputError, match="`requests` or `review`"):
        ENGINE.evaluate_table("access", _rows(2), what="audit", as_of=AT)
    with pytest.raises(InputError, match="only a review"):
        ENGINE.evaluate_table("access", _rows(2), as_of=AT, usage=[])


def test_a_grant_id_given_twice_is_refused_at_its_second_row_across_chunks() -> None:
    """A grant exported twice would have its findings reported twice (one expired grant,
    two findings) and usage records, which name grants by id, counted for both."""
    rng = random.Random(9)
    grants = [_grant(rng, AT, "u1") for _ in range(4)]
    for i, grant in enumerate(grants):
        grant["id"] = f"g{i}"
    grants[3]["id"] = "g1"
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("access", _grants_table(grants, True), what="review", as_of=AT,
                              chunk_rows=2)
    (problem,) = info.value.problems
    assert (problem.code, problem.path, problem.line, problem.value) == \
        ("duplicate_value", "id", 4, "g1")
    assert "(lines 2 and 4)" in problem.message
    with pytest.raises(InputError) as info:
        ENGINE.review_access(grants, DIRECTORY, as_of=AT)
    assert info.value.fields == ("grants.3.id",)
    assert "grants.1 and grants.3" in str(info.value)
    grants[3]["id"] = "g3"
    assert ENGINE.review_access(grants, DIRECTORY, as_of=AT).findings is not None


def test_a_grant_given_twice_in_a_csv_names_both_by_the_files_lines(tmp_path: Path) -> None:
    # the second row was located at the file's line but the first was named by its row
    # ('grants.csv line 6: ... listed twice (table lines 2 and 3)'), the header and the
    # blank lines not counted
    rng = random.Random(10)
    grants = [_grant(rng, AT, "u1") for _ in range(3)]
    for grant, name in zip(grants, ["g0", "g1", "g1"], strict=True):
        grant["id"] = name
    path = tmp_path / "grants.csv"
    _grants_table(grants, False).to_pandas().to_csv(path, index=False)
    head, first, second, third = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([head, first, "", second, "", third]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        ENGINE.evaluate_table("access", str(path), what="review", as_of=AT, chunk_rows=1)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.path) == (str(path), 6, "id")
    assert "grant `g1` is listed twice (lines 4 and 6)" in str(info.value)


def test_the_engines_own_role_directory_decides_the_tables_grants() -> None:
    engine = fp.PolicyEngine(directory=DIRECTORY)
    rng = random.Random(9)
    cases = [_request(rng) for _ in range(3_000)]
    table = _table([_cells(d, c, True) for d, c in cases], True)
    assert engine.evaluate_table("access", table, as_of=AT).to_pylist() == \
        ENGINE.evaluate_table("access", table, as_of=AT, directory=DIRECTORY).to_pylist()
    without = ENGINE.evaluate_table("access", table, as_of=AT).column("grant_id")
    assert without.null_count == len(cases)  # no directory, no grant counts
    assert engine.evaluate_table("access", table, as_of=AT).column("grant_id").null_count \
        < len(cases)
