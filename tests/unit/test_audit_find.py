"""Finding a log's entries by a value it holds only masked (by keyed hash) or in clear: the
Python API and ``finpolicy audit find``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from unittest import mock

import orjson
import pytest
from click.testing import CliRunner
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, find_entries, search
from finpolicy.audit.search import spellings
from finpolicy.cli import main
from tests.helpers.audit import SINKS, drop, target

ON = dt.date(2026, 3, 2)
SH = dt.timezone(dt.timedelta(hours=8))
ALICE, BOB = "610113196105075585", "44010619510913938X"  # customers' ID numbers (valid)


def customer(ident: str, assets: float) -> fp.Customer:
    return fp.Customer(id=ident, risk_level="C3", assessment_date=ON - dt.timedelta(days=30),
                       birth_date=dt.date(1985, 6, 1), investable_assets=assets)


def product(ident: str) -> fp.Product:
    return fp.Product(id=ident, kind="wealth_management", risk_level="R2")


def write_log(where: str, keys: AuditKeys) -> None:
    """Alice buys P-1 and P-2, Bob P-1; clerk u-7 reads a record; all through one clerk's
    context."""
    log = DecisionLog(where, keys=keys, application="branch-app")
    engine = fp.PolicyEngine(fp.load_bundle(), log=log)
    with log.context(user="clerk-42", request_id="req-1"):
        engine.check_suitability(customer(ALICE, 480_000.0), product("P-1"), as_of=ON)
        engine.check_suitability(customer(BOB, 90_000.0), product("P-1"), as_of=ON)
        engine.check_suitability(customer(ALICE, 480_000.0), product("P-2"), as_of=ON)
        engine.authorize(fp.AccessRequest(
            subject=fp.Subject(id="u-7", roles=["teller"], department="retail",
                               branch="BJ01"),
            action="read", purpose="account_service", as_of=dt.datetime(2026, 3, 2, 10,
                                                                        tzinfo=SH),
            resource=fp.Resource(type="customer_record", data_level="core",
                                 category="basic_identity", department="retail",
                                 branch="BJ01")))
    log.close()


@pytest.fixture(scope="module")
def keys() -> AuditKeys:
    return AuditKeys.generate()


@pytest.fixture(scope="module")
def key_folder(keys: AuditKeys, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return keys.save(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def logged(keys: AuditKeys, tmp_path_factory: pytest.TempPathFactory) -> str:
    where = target("sqlite", tmp_path_factory.mktemp("find"))
    write_log(where, keys)
    return where


def test_a_customer_is_found_by_a_value_the_log_holds_only_masked(logged: str,
                                                                   keys: AuditKeys) -> None:
    assert ALICE.encode() not in Path(logged).read_bytes()  # the point: not in clear
    found = list(find_entries(logged, keys, [ALICE]))
    assert [f.entry.unseal(keys)[0]["product"]["id"] for f in found] == ["P-1", "P-2"]
    assert {(p.value, p.path, p.level) for f in found for p in f.places} == \
        {(ALICE, "input.customer.id", "core")}
    assert [f.entry.unseal(keys)[0]["customer"]["id"] for f in found] == [ALICE, ALICE]
    assert [f.entry.decisions[0]["outcome"] for f in found] == ["suitable", "suitable"]


def test_every_value_must_be_held(logged: str, keys: AuditKeys) -> None:
    both = list(find_entries(logged, keys, [ALICE, "P-2"]))
    assert [f.entry.unseal(keys)[0]["product"]["id"] for f in both] == ["P-2"]
    assert list(find_entries(logged, keys, [BOB, "P-2"])) == []
    assert len(list(find_entries(logged, keys, ["P-1"]))) == 2


def test_a_number_is_found_however_it_is_written(logged: str, keys: AuditKeys) -> None:
    for spelled in ("480000", "480000.0", "4.8e5"):
        found = list(find_entries(logged, keys, [spelled]))
        assert len(found) == 2, spelled
        assert found[0].places[0].path == "input.customer.investable_assets"
    assert spellings("4.8e5") >= {"480000", "480000.0"}
    assert len(list(find_entries(logged, keys, [BOB.lower()]))) == 1  # the same ID
    assert spellings("P-1") == {"P-1"}


def test_clear_values_and_the_caller_context_are_found_by_their_text(logged: str,
                                                                      keys: AuditKeys) -> None:
    found = list(find_entries(logged, keys, ["clerk-42"]))
    assert len(found) == 4
    assert all(f.places[0].path == "context.user" and f.places[0].level is None
               for f in found)
    access = list(find_entries(logged, keys, ["u-7"]))
    assert [(f.entry.domain, f.places[0].path) for f in access] == \
        [("access", "input.subject.id")]


def test_domain_and_days_narrow_the_search(logged: str, keys: AuditKeys) -> None:
    assert len(list(find_entries(logged, keys, ["clerk-42"], domain="access"))) == 1
    today = dt.datetime.now(dt.UTC).date()
    assert len(list(find_entries(logged, keys, ["clerk-42"], since=today))) == 4
    assert list(find_entries(logged, keys, ["clerk-42"], until=today - dt.timedelta(1))) == []
    assert list(find_entries(logged, keys, ["clerk-42"], since=today + dt.timedelta(1))) == []


def test_a_search_needs_the_logs_own_sealing_secret(logged: str, keys: AuditKeys) -> None:
    with pytest.raises(AuditError, match="needs the sealing secret"):
        list(find_entries(logged, keys.verifier(), [ALICE]))
    other = AuditKeys.generate()
    with pytest.raises(AuditError, match=f"written with sealing secret {keys.secret_id}, "
                                         f"these keys hold {other.secret_id}"):
        list(find_entries(logged, other, ["P-1"]))  # would find nothing masked, at no entry
    with pytest.raises(AuditError, match="entry 3: a sealed input does not open"):
        next(find_entries(logged, keys, [ALICE])).entry.unseal(other)  # names the entry
    with pytest.raises(AuditError, match="holds bytes that are not UTF-8"):
        list(find_entries(logged, keys, ["\udcff"]))  # an argument's byte 0xff, as Python reads it
    with pytest.raises(AuditError, match="values to find: expected a list of texts"):
        list(find_entries(logged, keys, ALICE))  # a text alone was searched digit by digit
    with pytest.raises(AuditError, match="give the values"):
        list(find_entries(logged, keys, ["  "]))


_NUMBERS = st.integers(-(10**20), 10**20) | st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def _spelled(draw: st.DrawFn, number: float) -> str:
    """A number as a searcher may type it: as JSON writes it, Python's repr, or digits."""
    forms = {orjson.dumps(number).decode() if abs(number) < 2**63 else str(number),
             json.dumps(number), repr(number)}
    if isinstance(number, float) and number.is_integer():
        forms.add(str(int(number)))
    return draw(st.sampled_from(sorted(forms)))


@given(text=st.text(min_size=1, max_size=12).filter(str.strip), number=_NUMBERS,
       data=st.data())
@settings(max_examples=40)
def test_the_quick_byte_test_never_passes_over_an_entry_that_holds_the_value(
        keys: AuditKeys, tmp_path_factory: pytest.TempPathFactory, text: str,
        number: float, data: st.DataObject) -> None:
    """A search passes over the entries whose stored bytes lack every form of a value sought,
    unread; it finds just what reading each entry finds — text JSON escapes, non-ASCII text,
    numbers however written (a masked number by its keyed hash)."""
    where = tmp_path_factory.mktemp("quick") / "log"
    assets = abs(float(number)) if abs(number) <= 1e15 else 1.0  # (the most a customer holds)
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        engine.check_suitability(customer(BOB, 90_000.0), product("P-1"), as_of=ON)
        try:
            # a number beyond 64 bits beside them: the context is written by another encoder
            with log.context(note=text, amount=number, big=7**30):
                engine.check_suitability(customer(ALICE, assets), product("P-2"), as_of=ON)
        except AuditError:  # the context refused a value the detectors take for an ID
            assume(False)
    sought = [text, data.draw(_spelled(number)), data.draw(_spelled(assets))]
    for value in sought:
        quick = [f.entry.seq for f in find_entries(where, keys, [value])]
        with mock.patch.object(search, "_needles", lambda *_: None):  # read every entry
            full = [f.entry.seq for f in find_entries(where, keys, [value])]
        assert quick == full, value
        assert len(full) >= 1, value


@pytest.mark.parametrize("kind", SINKS)
def test_every_sink_is_searched(kind: str, keys: AuditKeys, tmp_path: Path) -> None:
    where = target(kind, tmp_path)
    try:
        write_log(where, keys)
        assert len(list(find_entries(where, keys, [BOB]))) == 1
    finally:
        drop(kind, where)


def test_cli_prints_each_entry_where_it_holds_the_value_and_what_was_decided(
        logged: str, key_folder: Path) -> None:
    result = CliRunner().invoke(main, ["audit", "find", logged, "--keys", str(key_folder),
                                       "-v", ALICE, "-v", "P-2"])
    assert result.exit_code == 0, result.output
    assert "suitability.check_suitability" in result.output
    assert f"holds `{ALICE}` at input.customer.id (masked, core)" in result.output
    assert "user=clerk-42" in result.output
    assert "decided " in result.output
    assert "1 entry holds" in result.output
    assert ALICE not in result.output.split("holds")[0]  # no input in clear unless asked


def test_cli_reveals_the_input_and_prints_json(logged: str, key_folder: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(main, ["audit", "find", logged, "--keys", str(key_folder),
                                 "-v", BOB, "--reveal"])
    assert shown.exit_code == 0, shown.output
    assert f'"id":"{BOB}"' in shown.output and "90000.0" in shown.output
    data = json.loads(runner.invoke(main, ["audit", "find", logged, "--keys",
                                           str(key_folder), "-v", "u-7", "--json",
                                           "--reveal"]).output)
    [entry] = data["entries"]
    assert entry["domain"] == "access" and entry["input_in_clear"]["subject"]["id"] == "u-7"
    assert entry["places"] == [{"value": "u-7", "path": "input.subject.id",
                                "level": "ordinary"}]
    none = runner.invoke(main, ["audit", "find", logged, "--keys", str(key_folder),
                                "-v", "nobody"])
    assert none.exit_code == 0 and "no entry holds `nobody`" in none.output


@pytest.mark.parametrize("args, message", [
    (["--domain", "acess"], "`acess` is no domain"),
    (["--since", "2026-13-01"], "is not an ISO date"),
    (["--since", "2026-03-02", "--until", "2026-03-01"], "is after --until"),
    (["-v", " "], "cannot be blank"),
])
def test_cli_refuses_bad_options_as_invalid_input(logged: str, key_folder: Path,
                                                  args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["audit", "find", logged, "--keys", str(key_folder),
                                       "-v", ALICE, *args])
    assert result.exit_code == 3, result.output
    assert message in result.output


def test_cli_names_keys_without_the_secret(logged: str, keys: AuditKeys,
                                           tmp_path: Path) -> None:
    folder = keys.verifier().save(tmp_path / "public")
    result = CliRunner().invoke(main, ["audit", "find", logged, "--keys", str(folder),
                                       "-v", ALICE])
    assert result.exit_code == 1
    assert "no sealing secret" in result.output and "Traceback" not in result.output
