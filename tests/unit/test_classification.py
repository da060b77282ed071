"""Data classification: levels by name, tag and content; handling; derived data; masking;
records; bad input; bad policy content; both engines agreeing."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml

import finpolicy as fp
from finpolicy.domains import classification as cl
from finpolicy.errors import Problem
from finpolicy.testing import fakes

ON = dt.date(2026, 3, 1)
L = fp.DataLevel


def _rng(seed: int = 7) -> random.Random:
    return random.Random(seed)


def neutral(decision: Any) -> Any:
    """The decision as if the compiled engine had made it (records: every field too)."""
    if isinstance(decision, fp.RecordClassificationDecision):
        fields = {n: neutral(c) for n, c in decision.fields.items()}
        return attrs.evolve(decision, engine="compiled", fields=fields)
    return attrs.evolve(decision, engine="compiled")


def _same(engines: dict[str, fp.PolicyEngine], call: Any) -> Any:
    """Run ``call`` on both engines, check the decisions are equal and return one."""
    a, b = call(engines["compiled"]), call(engines["durable"])
    assert neutral(b) == a
    return a


# --- by name -------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "level"), [
    ("身份证号", L.CORE), ("id_number", L.CORE), ("交易流水", L.CORE),
    ("transaction_history", L.CORE), ("风险偏好", L.IMPORTANT), ("risk_preference", L.IMPORTANT),
    ("资产状况", L.IMPORTANT), ("联系电话", L.ORDINARY), ("contact_phone", L.ORDINARY),
])
def test_the_pack_classifies_the_handbook_examples_by_name(
        engines: dict[str, fp.PolicyEngine], name: str, level: fp.DataLevel) -> None:
    c = _same(engines, lambda e: e.classify(fp.DataField(name=name), as_of=ON))
    assert c.level is level
    assert c.outcome == str(level)
    assert c.hits and all(h.cite for h in c.hits)


@pytest.mark.parametrize(("name", "level", "category"), [
    ("IDNumber", L.CORE, "basic_identity"), ("Customer ID Card No", L.CORE, "basic_identity"),
    ("居民身份证号码", L.CORE, "basic_identity"), ("card_no", L.CORE, "business"),
    ("银行卡号", L.CORE, "business"), ("debit-card-number", L.CORE, "business"),
    ("login_password", L.CORE, "basic_identity"), ("交易密码", L.CORE, "basic_identity"),
    ("txn_history_2025", L.CORE, "business"), ("passport_no", L.CORE, "basic_identity"),
    ("account_balance", L.IMPORTANT, "business"), ("annual_income", L.IMPORTANT, "business"),
    ("风险等级", L.IMPORTANT, "business"), ("login_history", L.IMPORTANT, "behaviour"),
    ("操作日志", L.IMPORTANT, "behaviour"), ("credit_score", L.IMPORTANT, "derived"),
    ("客户画像", L.IMPORTANT, "derived"), ("mobilePhone", L.ORDINARY, "basic_identity"),
    ("手机号码", L.ORDINARY, "basic_identity"), ("email", L.ORDINARY, "basic_identity"),
    ("姓名", L.ORDINARY, "basic_identity"), ("home_address", L.ORDINARY, "basic_identity"),
    ("性别", L.ORDINARY, "basic_identity"),
])
def test_synonyms_patterns_and_spellings_match_by_name(
        engines: dict[str, fp.PolicyEngine], name: str, level: fp.DataLevel,
        category: str) -> None:
    c = _same(engines, lambda e: e.classify(fp.DataField(name=name), as_of=ON))
    assert (c.level, c.category) == (level, category)


def test_a_field_no_rule_knows_is_ordinary_and_masked_as_the_policy_says(
        engines: dict[str, fp.PolicyEngine]) -> None:
    """Its decision said no mask, which ``apply_mask`` reads as "show it": an application
    rendering by the decision showed in clear what ``engine.mask`` masks (the policy's
    ``unknown_field_mask``, ``full`` in the shipped pack)."""
    c = _same(engines, lambda e: e.classify(fp.DataField(name="remarks"), as_of=ON))
    assert (c.level, c.category, c.mask, c.hits, c.pfi_category) == (
        L.ORDINARY, None, "full", (), None)
    text = "call after 6pm"
    assert cl.apply_mask(c.mask, text) == engines["compiled"].mask(text, field="remarks",
                                                                 as_of=ON) == "*" * len(text)


@pytest.mark.parametrize(("raw", "normal"), [
    ("Contact Phone", "contact_phone"), ("contactPhone", "contact_phone"),
    ("IDNumber", "id_number"), ("id-number", "id_number"), ("  ID.Number ", "id_number"),
    ("身份证号", "身份证号"), ("a__b", "a_b"),
])
def test_names_are_normalised_before_rules_read_them(raw: str, normal: str) -> None:
    assert cl.normalise_name(raw) == normal


# --- by content and tags -------------------------------------------------------------------

@pytest.mark.parametrize(("make", "level", "detector", "mask"), [
    (fakes.resident_id, L.CORE, "cn_resident_id", "id_number"),
    (fakes.bank_card, L.CORE, "bank_card", "card_number"),
    (fakes.passport, L.CORE, "passport", "partial:1:3"),
    (fakes.mobile, L.ORDINARY, "cn_mobile", "mobile"),
    (fakes.email, L.ORDINARY, "email", "email"),
    (fakes.uscc, L.ORDINARY, "cn_uscc", None),
])
def test_meaningless_columns_are_classified_by_content(
        engines: dict[str, fp.PolicyEngine], make: Any, level: fp.DataLevel, detector: str,
        mask: str | None) -> None:
    rng = _rng()
    field = fp.DataField(name="col1", sample_values=[make(rng) for _ in range(40)])
    c = _same(engines, lambda e: e.classify(field, as_of=ON))
    assert (c.level, c.detector, c.share, c.mask) == (level, detector, 1.0, mask)


def test_content_below_the_policy_threshold_detects_nothing(
        engines: dict[str, fp.PolicyEngine]) -> None:
    rng = _rng()
    # 7 of 10 valid IDs is below the pack's 0.8; blanks do not count either way
    values = [fakes.resident_id(rng) for _ in range(7)] + ["n/a"] * 3 + ["", "  "]
    c = _same(engines, lambda e: e.classify(fp.DataField(name="col1", sample_values=values),
                                            as_of=ON))
    assert (c.level, c.detector, c.share) == (L.ORDINARY, None, None)
    values = [fakes.resident_id(rng) for _ in range(8)] + ["n/a"] * 2 + ["", "  "]
    c = _same(engines, lambda e: e.classify(fp.DataField(name="col1", sample_values=values),
                                            as_of=ON))
    assert (c.level, c.detector, c.share) == (L.CORE, "cn_resident_id", 0.8)


def test_values_failing_the_check_digit_are_not_detected(
        engines: dict[str, fp.PolicyEngine]) -> None:
    rng = _rng()
    for make in (fakes.invalid_resident_id, fakes.invalid_bank_card):
        field = fp.DataField(name="col1", sample_values=[make(rng) for _ in range(30)])
        c = _same(engines, lambda e, f=field: e.classify(f, as_of=ON))
        assert c.level is L.ORDINARY and c.detector is None


def test_name_and_content_combine_by_highest_level(engines: dict[str, fp.PolicyEngine]) -> None:
    rng = _rng()
    field = fp.DataField(name="contact_phone",
                         sample_values=[fakes.resident_id(rng) for _ in range(5)])
    c = _same(engines, lambda e: e.classify(field, as_of=ON))
    assert c.level is L.CORE and c.mask == "id_number"
    assert c.rule_ids == ("core-id-number-by-content", "ordinary-contact-phone")


@pytest.mark.parametrize(("tag", "level", "pfi"), [
    ("authentication", L.CORE, "C3"), ("account", L.CORE, "C2"),
    ("sensitive_personal", L.CORE, "C2"), ("financial_status", L.IMPORTANT, "C2"),
    ("behaviour", L.IMPORTANT, "C2"), ("Contact", L.ORDINARY, "C2"),
])
def test_tags_classify(engines: dict[str, fp.PolicyEngine], tag: str, level: fp.DataLevel,
                       pfi: str) -> None:
    c = _same(engines, lambda e: e.classify(fp.DataField(name="x1", tags=[tag]), as_of=ON))
    assert (c.level, c.pfi_category) == (level, pfi)


# --- handling, labels and output -------------------------------------------------------------

def test_levels_are_ordered_and_print_their_names() -> None:
    assert L.ORDINARY < L.IMPORTANT < L.CORE
    assert [str(x) for x in L] == ["ordinary", "important", "core"]
    assert L.parse("core") is L.CORE
    with pytest.raises(ValueError, match="unknown data level"):
        L.parse("secret")


def test_handling_follows_the_level(engines: dict[str, fp.PolicyEngine]) -> None:
    e = engines["compiled"]
    core = e.classify("id_number", as_of=ON).handling
    important = e.classify("risk_preference", as_of=ON).handling
    ordinary = e.classify("contact_phone", as_of=ON).handling
    assert (core.encryption_at_rest, core.encryption_in_transit, core.storage) == (
        "AES-256", "TLS 1.3", "encrypted_database")
    assert core.mask_on_display and core.approval_required
    assert important.storage == "offsite_disaster_recovery" and important.approval_required
    # seed 002 §2.3 and seed 003 §2.2.2: every level is encrypted at rest
    assert not ordinary.approval_required and ordinary.encryption_at_rest == "AES-256"
    kept = [h.audit_log_retention for h in (core, important, ordinary)]
    assert [k.years for k in kept if k is not None] == [5, 3, 1]
    assert core.audit_log_retention_days is None  # the pack gives periods, not day counts
    grades = [e.classify(n, as_of=ON).grade for n in ("contact_phone", "risk_preference",
                                                      "id_number")]
    assert grades == sorted(grades) and len(set(grades)) == 3


def test_decisions_explain_and_serialise(engines: dict[str, fp.PolicyEngine]) -> None:
    rng = _rng()
    c = engines["durable"].classify(
        fp.DataField(name="col9", sample_values=[fakes.bank_card(rng) for _ in range(3)]),
        as_of=ON)
    text = c.explain()
    assert "core" in text and "bank_card matched 100%" in text and "[seed-000 §5.4]" in text
    data = json.loads(json.dumps(c.to_dict(), ensure_ascii=False))
    assert data["level"] == "core" and data["handling"]["level"] == "core"
    assert data["policy"]["id"] == "cn-classification" and data["engine"] == "durable"


def test_the_input_digest_identifies_the_input(engines: dict[str, fp.PolicyEngine]) -> None:
    e = engines["compiled"]
    a = e.classify(fp.DataField(name="x", sample_values=["1"]), as_of=ON)
    b = e.classify(fp.DataField(name="x", sample_values=["1"]), as_of=ON)
    c = e.classify(fp.DataField(name="x", sample_values=["2"]), as_of=ON)
    assert a.input_digest == b.input_digest != c.input_digest


# --- derived data ----------------------------------------------------------------------------

def test_derived_data_takes_the_highest_level_of_its_sources(
        engines: dict[str, fp.PolicyEngine]) -> None:
    field = fp.DataField(name="credit_score", derived_from=["transaction_history", "email"])
    c = _same(engines, lambda e: e.classify(field, as_of=ON))
    assert c.level is L.CORE and c.category == "derived" and c.mask == "full"
    assert dict(c.sources) == {"transaction_history": L.CORE, "email": L.ORDINARY}


def test_a_rule_may_say_derived_data_does_not_inherit(
        engines: dict[str, fp.PolicyEngine]) -> None:
    field = fp.DataField(name="branch_total", derived_from=["balance", "id_number"],
                         tags=["anonymised"])
    c = _same(engines, lambda e: e.classify(field, as_of=ON))
    assert c.level is L.ORDINARY and c.rule_ids == ("derived-anonymised-aggregate",)


def test_record_sources_are_classified_with_their_content(
        engines: dict[str, fp.PolicyEngine]) -> None:
    rng = _rng()
    record = {"col1": [fakes.resident_id(rng) for _ in range(3)],
              "score": fp.DataField(name="score", derived_from=["col1"])}
    r = _same(engines, lambda e: e.classify_record(record, as_of=ON))
    assert r["score"].level is L.CORE and r.level is L.CORE


def test_cyclic_derivations_fall_back_to_names(engines: dict[str, fp.PolicyEngine]) -> None:
    record = {"a": fp.DataField(name="a", derived_from=["b"]),
              "b": fp.DataField(name="b", derived_from=["a"])}
    r = _same(engines, lambda e: e.classify_record(record, as_of=ON))
    assert r.level is L.ORDINARY


# --- records ---------------------------------------------------------------------------------

def test_a_record_takes_the_highest_level_of_its_fields(
        engines: dict[str, fp.PolicyEngine]) -> None:
    record = {"name": "张三", "id_number": "11010519491231002X", "balance": 10.5,
              "mobile": 13812345678, "opened": dt.date(2020, 1, 2), "note": None,
              "cards": ["6222021234567890128", None]}
    r = _same(engines, lambda e: e.classify_record(record, as_of=ON))
    assert r.level is L.CORE and r.outcome == "core"
    assert {n: str(c.level) for n, c in r.fields.items()} == {
        "name": "ordinary", "id_number": "core", "balance": "important", "mobile": "ordinary",
        "opened": "ordinary", "note": "ordinary", "cards": "core"}
    assert r.handling.level is L.CORE
    assert json.dumps(r.to_dict(), ensure_ascii=False)
    assert "record level core" in r.explain()


def test_records_of_ordinary_fields_stay_ordinary(engines: dict[str, fp.PolicyEngine]) -> None:
    r = _same(engines, lambda e: e.classify_record({"联系电话": "13812345678", "性别": "女"},
                                                    as_of=ON))
    assert r.level is L.ORDINARY


# --- masking ---------------------------------------------------------------------------------

def test_masks_hide_what_the_field_rule_says(engines: dict[str, fp.PolicyEngine]) -> None:
    for e in engines.values():
        assert e.mask("11010519491231002X", field="身份证号", as_of=ON) == "110***********002X"
        assert e.mask("6222021234567890128", field="card_number", as_of=ON) == \
            "622202*********0128"
        assert e.mask("张三丰", field="姓名", as_of=ON) == "张**"
        assert e.mask("13812345678", field="contact_phone", as_of=ON) == "138****5678"
        assert e.mask("zhang.wei@163.com", field="email", as_of=ON) == "z***@163.com"
        assert e.mask("E12345678", field="passport_no", as_of=ON) == "E*****678"
        assert e.mask("123456", field="交易密码", as_of=ON) == "******"
        assert e.mask("10.5", field="balance", as_of=ON) == "10.5"  # a rule says: shown
        # a field no rule knows is masked in full (the pack's unknown_field_mask)
        assert e.mask("备注", field="remarks", as_of=ON) == "**"


def test_masking_reads_content_under_innocent_names(engines: dict[str, fp.PolicyEngine]) -> None:
    assert engines["compiled"].mask("11010519491231002X", field="notes", as_of=ON) == \
        "110***********002X"
    field = fp.DataField(name="x", derived_from=["id_number"])
    assert engines["durable"].mask("abc", field=field, as_of=ON) == "***"


@pytest.mark.parametrize(("value", "field", "where"), [
    (None, "id_number", "value"), (1.5, "id_number", "value"), (True, "name", "value"),
    ("x", "", "field"), ("x", 12, "field"),
])
def test_mask_rejects_bad_input(engines: dict[str, fp.PolicyEngine], value: Any, field: Any,
                                where: str) -> None:
    with pytest.raises(fp.InputError) as info:
        engines["compiled"].mask(value, field=field, as_of=ON)
    assert info.value.problems[0].path == where


# --- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "where"), [
    ({"name": "x", "sample_values": [1, "a"]}, "sample_values.0"),
    ({"name": "x", "sample_values": ["a", None]}, "sample_values.1"),
    ({"name": "x", "sample_values": "abc"}, "sample_values"),
    ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": "x", "tags": [""]}, "tags"),
    ({"name": "x", "derived_from": [" "]}, "derived_from"),
    ({"name": "x", "colour": "red"}, "colour"), ({}, "name"),
])
def test_bad_fields_raise_input_errors_naming_the_field(data: dict[str, Any],
                                                        where: str) -> None:
    with pytest.raises(fp.InputError) as info:
        fp.DataField(**data)
    assert info.value.problems[0].path == where


@pytest.mark.parametrize(("record", "where"), [
    ({"a": {"nested": 1}}, "record.a"), ({"a": [1, object()]}, "record.a[1]"),
    ({"a": float("nan")}, "record.a"), ({}, "record"), ([("a", 1)], "record"),
    ({"": "x"}, "record"), ({1: "x"}, "record"),
])
def test_bad_records_raise_input_errors(engines: dict[str, fp.PolicyEngine], record: Any,
                                        where: str) -> None:
    with pytest.raises(fp.InputError) as info:
        engines["compiled"].classify_record(record, as_of=ON)
    assert info.value.problems[0].path == where


def test_bad_dates_and_dates_before_the_policy(engines: dict[str, fp.PolicyEngine]) -> None:
    e = engines["compiled"]
    with pytest.raises(fp.InputError, match="naive"):
        e.classify("x", as_of=dt.datetime(2026, 1, 1, 9))
    with pytest.raises(fp.InputError, match="ISO date"):
        e.classify("x", as_of="yesterday")
    with pytest.raises(fp.NotInForceError):
        e.classify("x", as_of=dt.date(2020, 1, 1))
    aware = dt.datetime(2026, 1, 1, 9, tzinfo=dt.UTC)
    assert e.classify("x", as_of=aware).as_of == dt.date(2026, 1, 1)
    with pytest.raises(fp.InputError):
        e.classify(3.5, as_of=ON)


def test_evaluate_input_takes_field_fields_and_record_shapes(
        engines: dict[str, fp.PolicyEngine]) -> None:
    e = engines["compiled"]
    assert [d.outcome for d in cl.evaluate_input(e, {"field": {"name": "id_number"}},
                                                 as_of=ON)] == ["core"]
    assert [d.outcome for d in cl.evaluate_input(e, {"name": "风险偏好"}, as_of=ON)] == [
        "important"]
    assert [d.outcome for d in cl.evaluate_input(
        e, {"fields": ["email", {"name": "card_no"}]}, as_of=ON)] == ["ordinary", "core"]
    assert [d.outcome for d in cl.evaluate_input(
        e, {"record": {"a": "x", "id_number": "1"}}, as_of=ON)] == ["ordinary", "core"]
    for bad in ([], {"record": {"a": 1}, "field": {}}, {"fields": "x"}, {"nope": 1}):
        with pytest.raises(fp.InputError):
            cl.evaluate_input(e, bad, as_of=ON)  # type: ignore[arg-type]


def test_the_shipped_examples_evaluate_on_both_engines(
        engines: dict[str, fp.PolicyEngine], bundle: fp.Bundle) -> None:
    data = yaml.safe_load((Path(bundle.root) / "examples" / "classification.yaml").read_text(
        encoding="utf-8"))
    assert data["domain"] == "classification"
    for case in data["cases"]:
        on = dt.date.fromisoformat(case["as_of"])
        a = cl.evaluate_input(engines["compiled"], case["input"], as_of=on)
        b = cl.evaluate_input(engines["durable"], case["input"], as_of=on)
        assert a and [attrs.evolve(d, engine="compiled") for d in b] == a


# --- bad policy content ----------------------------------------------------------------------

def _load(tmp_path: Path, edit: Any) -> list[Problem]:
    from finpolicy.documents.bundle import load_document

    src = Path(fp.load_bundle().root) / "classification.yaml"
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    edit(data)
    file = tmp_path / "classification.yaml"
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    problems: list[Problem] = []
    load_document(file, problems)
    return problems


def _swap_levels(d: dict[str, Any]) -> None:
    levels = d["spec"]["levels"]
    levels[0], levels[1] = levels[1], levels[0]


@pytest.mark.parametrize(("edit", "code", "where"), [
    (lambda d: d["spec"]["rules"][0].update(category="secrets"), "unknown_category",
     "spec.rules[0].category"),
    (lambda d: d["spec"]["rules"][0].update(cite="nowhere §1"), "unknown_source",
     "spec.rules[0].cite"),
    (lambda d: d["spec"]["rules"][0].update(cite="seed-000"), "bare_cite", "spec.rules[0].cite"),
    (lambda d: d["spec"]["rules"][0].update(mask="blur"), "unknown_mask", "spec.rules[0].mask"),
    (lambda d: d["spec"]["rules"][0].update(when={"field": "field.colour", "eq": "x"}),
     "unknown_field", "spec.rules[0].when.field"),
    (lambda d: d["spec"]["rules"][1].update(id=d["spec"]["rules"][0]["id"]), "duplicate_rule",
     "spec.rules[1].id"),
    (lambda d: d["spec"]["content"].update(detectors=["cn_resident_id", "iban"]),
     "unknown_detector", "spec.content.detectors[1]"),
    (lambda d: d["spec"]["handling"].pop("important"), "missing_handling", "spec.handling"),
    (_swap_levels, "level_order", "spec.levels"),
    (lambda d: d["spec"].update(derived_category="other"), "unknown_category",
     "spec.derived_category"),
    (lambda d: d["spec"]["handling"]["core"].update(retention_days=1825), "retention",
     "spec.handling.core"),
    (lambda d: d["spec"]["handling"]["core"].pop("audit_log_retention"), "retention",
     "spec.handling.core"),
])
def test_bad_policy_content_is_reported_with_its_path(tmp_path: Path, edit: Any, code: str,
                                                      where: str) -> None:
    problems = _load(tmp_path, edit)
    assert (code, where) in {(p.code, p.path) for p in problems}, problems


def test_the_shipped_policy_has_no_problems(tmp_path: Path) -> None:
    assert _load(tmp_path, lambda d: None) == []


def test_a_category_minimum_level_raises_every_field_of_it(tmp_path: Path) -> None:
    """The other reading of basic customer information (seed 002 §2.2: core) is one line."""
    import shutil

    pack = tmp_path / "pack"
    shutil.copytree(fp.load_bundle().root, pack)
    file = pack / "classification.yaml"
    text = file.read_text(encoding="utf-8")
    line = "      examples: [name, gender, birth date, ID number, contact details, address]\n"
    assert line in text
    file.write_text(text.replace(line, line + "      min_level: core\n"), encoding="utf-8")
    for name in ("compiled", "durable"):
        engine = fp.PolicyEngine(fp.load_bundle(pack), engine=name)
        phone = engine.classify("contact_phone", as_of=ON)
        assert str(phone.level) == "core" and phone.handling.approval_required
        assert phone.rule_ids == ("ordinary-contact-phone",
                                  "category-basic-identity-min-level")
        assert str(engine.classify("balance", as_of=ON).level) == "important"
        assert str(engine.classify("id_number", as_of=ON).level) == "core"
