"""Masking fails closed: a value is shown as it is only when a rule of the policy says so;
field names are read in NFKC without invisible characters (both engines, generated names and
values)."""

from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.testing import fakes
from finpolicy.testing.vocabulary import literals
from tests.security.attacks import INVISIBLE, full_width

ON = dt.date(2026, 3, 2)
_NAMES = sorted(str(v) for v in literals(fp.load_bundle(), "ClassificationPolicy")["field.name"])
_MAKERS = [fakes.resident_id, fakes.bank_card, fakes.mobile, fakes.email, fakes.passport,
           fakes.chinese_name, fakes.invalid_resident_id, fakes.invalid_bank_card]

field_names = st.one_of(st.text(min_size=1, max_size=30), st.sampled_from(_NAMES),
                        st.from_regex(r"[a-z]{1,8}(_[a-z]{1,8}){0,2}", fullmatch=True))


@st.composite
def values(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.sampled_from(_MAKERS))(random.Random(draw(st.integers(0, 2 ** 16))))
    return draw(st.text(min_size=1, max_size=40))


@settings(max_examples=200, deadline=None)
@given(field_names.filter(lambda n: n.strip()), values())
def test_a_value_comes_back_unmasked_only_when_a_rule_says_so(
        engines: dict[str, fp.PolicyEngine], name: str, value: str) -> None:
    for engine in engines.values():
        try:
            shown = engine.mask(value, field=name, as_of=ON)
        except fp.InputError as exc:  # a name that is blank once cleaned, say
            assert {p.path for p in exc.problems} == {"field"}
            continue
        if shown == value and value.strip():
            known = engine.classify(fp.DataField(name=name, sample_values=[value]), as_of=ON)
            assert known.hits and known.mask is None, (name, value)


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"[a-z]{2,10}_?[a-z]{0,6}x", fullmatch=True), st.integers(0, 2 ** 16))
@example("cvc_x", 0)
def test_identifiers_under_names_no_rule_knows_are_masked_by_their_content(
        engines: dict[str, fp.PolicyEngine], name: str, seed: int) -> None:
    # the pattern can spell a name a rule knows (``cvc_x`` is a card security code's)
    assume(not engines["compiled"].classify(fp.DataField(name=name), as_of=ON).hits)
    rng = random.Random(seed)
    for maker, keep in ((fakes.resident_id, 4), (fakes.bank_card, 4)):
        value = maker(rng)
        for engine in engines.values():
            shown = engine.mask(value, field=name, as_of=ON)
            assert shown != value and shown.endswith(value[-keep:])
            assert shown.count("*") >= len(value) - 10


@st.composite
def respelt(draw: st.DrawFn) -> tuple[str, str]:
    """A name a rule lists, and the same name full-width, upper-case, with invisible
    characters or spaces around."""
    name = draw(st.sampled_from(_NAMES))
    spelt = name.upper() if draw(st.booleans()) and name.isascii() else name
    if draw(st.booleans()):
        spelt = full_width(spelt)
    chars = []
    for c in spelt:
        chars.append(c)
        if draw(st.integers(0, 3)) == 0:
            chars.append(draw(st.sampled_from(INVISIBLE)))
    pad = draw(st.sampled_from(["", " ", "\u3000", "\u200b", "\ufeff "]))
    return name, pad + "".join(chars) + pad


@settings(max_examples=150, deadline=None)
@given(respelt())
def test_a_name_reads_the_same_in_any_compatibility_form(
        engines: dict[str, fp.PolicyEngine], pair: tuple[str, str]) -> None:
    name, spelt = pair
    for engine in engines.values():
        plain = engine.classify(name, as_of=ON)
        other = engine.classify(spelt, as_of=ON)
        assert (other.level, other.category, other.mask, other.rule_ids) == \
            (plain.level, plain.category, plain.mask, plain.rule_ids), spelt


def test_full_width_id_number_is_core_and_masked(engines: dict[str, fp.PolicyEngine]) -> None:
    for engine in engines.values():
        assert engine.classify("ＩＤ＿ＮＵＭＢＥＲ", as_of=ON).level is fp.DataLevel.CORE
        assert engine.mask("A1234567", field="ＩＤ＿ＮＵＭＢＥＲ", as_of=ON) == "A12*4567"
        assert engine.mask("A1234567", field="id\u200b_number", as_of=ON) == "A12*4567"


@pytest.fixture(scope="module")
def no_default_mask(tmp_path_factory: pytest.TempPathFactory) -> fp.Bundle:
    pack = tmp_path_factory.mktemp("pack") / "pack"
    shutil.copytree(fp.load_bundle().root, pack)
    path = Path(pack) / "classification.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  unknown_field_mask: full\n" in text
    path.write_text(text.replace("  unknown_field_mask: full\n", ""), encoding="utf-8")
    return fp.load_bundle(pack)


@settings(max_examples=40, deadline=None)
@given(st.from_regex(r"zz[a-z]{1,10}", fullmatch=True), st.text(min_size=1, max_size=20))
def test_without_a_default_mask_an_unknown_field_is_an_error_not_its_value(
        no_default_mask: fp.Bundle, name: str, value: str) -> None:
    for kind in ("compiled", "durable"):
        engine = _engine(no_default_mask, kind)
        try:
            shown = engine.mask(value, field=name, as_of=ON)
        except fp.InputError as exc:
            assert exc.problems[0].code == "unknown_data_field"
            assert exc.problems[0].path == "field"
        else:  # content a rule recognises, masked by that rule
            assert shown != value or not value.strip()


_ENGINES: dict[tuple[int, str], fp.PolicyEngine] = {}


def _engine(bundle: fp.Bundle, kind: str) -> fp.PolicyEngine:
    key = (id(bundle), kind)
    if key not in _ENGINES:
        _ENGINES[key] = fp.PolicyEngine(bundle, engine=kind)
    return _ENGINES[key]


def test_an_unknown_mask_setting_is_a_policy_error(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(fp.load_bundle().root, pack)
    path = pack / "classification.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "unknown_field_mask: full", "unknown_field_mask: blur"), encoding="utf-8")
    with pytest.raises(fp.PolicyError) as caught:
        fp.load_bundle(pack)
    assert [p.code for p in caught.value.problems] == ["unknown_mask"]
    assert caught.value.problems[0].path.endswith("unknown_field_mask")


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 50), st.sampled_from(["x", "中", " ", "1"]))
def test_long_values_are_masked_not_rejected(engines: dict[str, fp.PolicyEngine],
                                             thousands: int, char: str) -> None:
    value = "a" + char * (thousands * 1000)
    for engine in engines.values():
        shown = engine.mask(value, field="remarks", as_of=ON)
        assert shown != value and len(shown) == len(value)


@given(st.lists(st.text(min_size=1, max_size=12), max_size=4),
       st.lists(st.text(max_size=30), max_size=6))
# a value that is also a piece of the JSON's syntax; one that starts with an escape's letter
@example([","], ["a", "b"])
@example(["nabcdef"], ["\nabcdef"])
@example(["u001fab"], ["\x1fab"])
def test_echoed_values_are_scrubbed_from_decision_json(values: list[str],
                                                       texts: list[str]) -> None:
    # the decisions' JSON after scrubbing: still JSON; no replaced value left as a whole
    # string; a telling one (6+ characters, not number-like) not left inside longer text either
    import orjson

    from finpolicy.audit.scrub import scrub

    assume(not any("*" in v or v in ("echo", "notes") for v in values))  # (the test's own)
    replaced = [(value, "*" * len(value)) for value in values]
    blob = orjson.dumps({"echo": values, "notes": [*texts, *(f"id {v} seen" for v in values)]})
    out = orjson.loads(scrub(blob, replaced))
    # text that holds no value comes out as it went in (an escape is not the letter after it)
    assert all(t in out["notes"] for t in texts if not any(v in t for v in values))
    for value in values:
        assert value not in out["echo"]
        if len(value) >= 6 and not set(value) <= set("0123456789+-.eE"):
            assert not any(value in text for text in out["echo"] + out["notes"])


_WORDS = st.sampled_from(["marketing", "hits", "outcome", "deny", "policy", "cn-access",
                          "never-core", "a\\\"b", "110101", ",", "rule_id", "obligations"])
_DECISION_TEXT = st.one_of(_WORDS, st.text(max_size=14),
                           st.builds("-".join, st.lists(_WORDS, min_size=1, max_size=3)))


@st.composite
def decisions_json(draw: st.DrawFn) -> list[dict[str, object]]:
    """Decisions as ``to_dict`` writes them, with words inputs may also hold."""
    hit = st.fixed_dictionaries({"rule_id": _DECISION_TEXT, "reason": _DECISION_TEXT,
                                 "cite": _DECISION_TEXT})
    policy = st.one_of(st.none(), _DECISION_TEXT, st.fixed_dictionaries(
        {"id": _DECISION_TEXT, "version": st.just("1.0.0"),
         "bundle": st.one_of(st.none(), _DECISION_TEXT)}),
        st.fixed_dictionaries({"id": _DECISION_TEXT, "n": st.integers(-9, 10**6)}))
    return draw(st.lists(st.fixed_dictionaries({
        "outcome": _DECISION_TEXT, "hits": st.lists(hit, max_size=3),
        "obligations": st.lists(_DECISION_TEXT, max_size=2), "policy": policy,
        "engine": st.sampled_from(["compiled", "durable"]), "customer_id": _DECISION_TEXT,
        # (a key of its own may be a kept key's name, holding text or a list)
        "notes": st.dictionaries(_DECISION_TEXT, st.one_of(
            _DECISION_TEXT, st.lists(_DECISION_TEXT, max_size=2)), max_size=2)},
        optional={"extra": st.lists(st.one_of(st.integers(0, 99), _DECISION_TEXT), max_size=3)}),
        min_size=1, max_size=2))


@settings(max_examples=400, deadline=None)
@given(decisions_json(), st.lists(_DECISION_TEXT.filter(bool), min_size=1, max_size=3))
def test_echoes_are_masked_in_values_only_never_in_keys_or_what_the_policy_wrote(
        decisions: list[dict[str, object]], values: list[str]) -> None:
    # the quick way (bytes) and the exact way (decoded) agree, and neither touches a key or
    # a rule id, citation, outcome, obligation, policy reference or engine
    import orjson

    from finpolicy.audit import scrub as scrubbing

    assume(not any("*" in v for v in values))
    replaced = [(v, "*" * len(v)) for v in values]
    blob = orjson.dumps(decisions)
    quick = scrubbing.scrub(blob, replaced)
    steps = [s for s in scrubbing._plan(replaced) if s[0] in blob]
    assert quick == (scrubbing._decoded(blob, steps) if steps else blob)
    out = orjson.loads(quick)
    for before, after in zip(decisions, out, strict=True):
        assert list(before) == list(after)
        for key in ("outcome", "obligations", "engine"):
            assert after[key] == before[key]
        assert [(h["rule_id"], h["cite"]) for h in after["hits"]] == \
            [(h["rule_id"], h["cite"]) for h in before["hits"]]
        if not isinstance(before["policy"], dict) or "n" not in before["policy"]:
            assert after["policy"] == before["policy"]
        assert list(after["notes"]) == list(before["notes"])
        if before["customer_id"] in values:
            assert after["customer_id"] == "*" * len(before["customer_id"])


def test_a_logged_decision_keeps_its_rule_ids_and_field_names(tmp_path: Path) -> None:
    # the purpose `marketing` and a department called `outcome`, masked in the input, left
    # the rule `marketing-never-core` as `*********-never-core` and renamed `outcome`
    from finpolicy.audit import AuditKeys, DecisionLog, read_entries

    log = DecisionLog(tmp_path / "log", keys=AuditKeys.generate())
    engine = fp.PolicyEngine(fp.load_bundle(), log=log)
    at = dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    for purpose, department, branch in (("marketing", "retail", "BJ01"),
                                        ("account_service", "outcome", "hits")):
        engine.authorize(fp.AccessRequest(
            subject=fp.Subject(id="u-1", roles=["teller"], department=department,
                               branch=branch),
            action="read", purpose=purpose, as_of=at,
            resource=fp.Resource(type="customer_record", data_level="core",
                                 category="basic_identity", department=department,
                                 branch=branch)))
    log.close()
    first, second = (e.decisions[0] for e in read_entries(tmp_path / "log"))
    assert "marketing-never-core" in [h["rule_id"] for h in first["hits"]]
    assert {"outcome", "hits", "policy"} <= set(second)
    entries = list(read_entries(tmp_path / "log"))
    assert entries[0].input["purpose"] != "marketing"  # still masked in the input
    assert entries[1].input["subject"]["department"] != "outcome"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(field_names, values()), min_size=1, max_size=8))
@example([("id_number", "abc"), ("id_number", "x" * 5000), ("remark", " "), ("   ", "abc")])
def test_the_log_masks_a_new_value_as_the_full_classification_would(
        pairs: list[tuple[str, str]]) -> None:
    # the decision log works out a verdict once per name and set of detectors a value passes;
    # every value must still get what classifying it afresh gives (blank, long and refused
    # names and values included)
    from finpolicy.audit import AuditKeys
    from finpolicy.audit.masking import Masker

    bundle = fp.load_bundle()
    keys = AuditKeys.generate()
    quick, full = Masker(bundle, keys, ON), Masker(bundle, keys, ON)
    full._detectors = None  # every value through DataField and classify
    for name, value in pairs:
        for text in (value, value.upper(), f" {value}"):
            assert quick.verdict(name, text) == full.verdict(name, text), (name, text)


@given(st.lists(st.text(alphabet="abcdefgh-", min_size=6, max_size=12), min_size=1,
                max_size=8, unique=True), st.randoms())
def test_a_value_masked_two_ways_is_echoed_the_way_that_shows_least(values: list[str],
                                                                     rnd: random.Random) -> None:
    # a recipient's name is shown `p*****` under `name` and `******` under `recipients`:
    # its echo in a decision takes the fuller mask, whatever order the masking met them in
    # (the writer and replay meet them in different orders; replay must mask as it did)
    import orjson

    from finpolicy.audit.scrub import scrub

    assume(not any(a != b and a in b for a in values for b in values))
    replaced = [pair for v in values for pair in ((v, v[0] + "*" * (len(v) - 1)),
                                                  (v, "*" * len(v)))]
    rnd.shuffle(replaced)
    out = orjson.loads(scrub(orjson.dumps({"echo": values}), replaced))
    assert out["echo"] == ["*" * len(v) for v in values]
