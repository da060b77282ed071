"""A customer's card, ID or mobile number is found in every entry that holds it, whichever way each
input wrote it — whole, grouped with spaces as printed on the card, or with hyphens — and
whichever way the auditor types it: the log hashes a value as it was given."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, find_entries, read_entries

ON = dt.date(2026, 3, 2)
CARDS = ("6214839791907488", "6214 8397 9190 7488", "6214-8397-9190-7488")
IDS = ("11010519491231002X", "110105 19491231 002x", "110105-19491231-002X")
MOBILES = ("15537887623", "+86 155 3788 7623", "155-3788-7623", "+8615537887623")
OTHERS = ("6222021290404796662", "610113196105075585")
Logged = tuple[Path, AuditKeys, dict[str, int]]


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Logged:
    """A log of one classified record per value, and the entry of each value."""
    keys = AuditKeys.generate()
    where = tmp_path_factory.mktemp("log") / "audit.db"
    values = (*CARDS, *IDS, *MOBILES, *OTHERS)
    with DecisionLog(where, keys=keys) as log:
        engine = fp.PolicyEngine(fp.load_bundle(), log=log)
        for value in values:
            engine.classify_record({"number": value}, as_of=ON)
    entries = [entry.seq for entry in read_entries(where)]
    return where, keys, dict(zip(values, entries, strict=True))


@pytest.mark.parametrize("sought", CARDS)
def test_a_card_is_found_in_every_form_the_inputs_gave_it(logged: Logged, sought: str) -> None:
    where, keys, entries = logged
    found = [f.entry.seq for f in find_entries(where, keys, [sought])]
    assert found == [entries[card] for card in CARDS]


@pytest.mark.parametrize("sought", [*IDS, "11010519491231002x"])
def test_an_id_is_found_in_every_form_the_inputs_gave_it(logged: Logged, sought: str) -> None:
    where, keys, entries = logged
    found = [f.entry.seq for f in find_entries(where, keys, [sought])]
    assert found == [entries[number] for number in IDS]


@pytest.mark.parametrize("sought", MOBILES)
def test_a_mobile_number_is_found_in_every_form_the_inputs_gave_it(logged: Logged,
                                                                  sought: str) -> None:
    where, keys, entries = logged
    found = [f.entry.seq for f in find_entries(where, keys, [sought])]
    assert found == [entries[number] for number in MOBILES]
