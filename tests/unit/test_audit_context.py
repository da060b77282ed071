"""The caller context is kept in clear, so a customer's card or ID number is refused in it
however it is written: grouped as on the card or a form (spaces or hyphens), inside a note,
as a number with a fraction, or as the application's name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from finpolicy.audit import AuditError, AuditKeys, DecisionLog

CARD = "6214839791907488"
RESIDENT_ID = "610113196105075585"


@pytest.fixture
def log(tmp_path: Path) -> Iterator[DecisionLog]:
    opened = DecisionLog(tmp_path / "log", keys=AuditKeys.generate())
    yield opened
    opened.close()


@pytest.mark.parametrize("note", [
    "customer 6214 8397 9190 7488 called",
    "card 6214-8397-9190-7488",
    "ref 12 6214 8397 9190 7488 99",
    "ID 610113 19610507 5585 at the counter",
    "ID 610113-19610507-5585",
    "id 11010519491231002x, 1 visit",
    6214839791907488.0,
])
def test_a_card_or_id_number_written_in_groups_is_refused_in_the_context(
        log: DecisionLog, note: object) -> None:
    with pytest.raises(AuditError, match="caller context `note`: holds a"), \
            log.context(note=note):
        pass


@pytest.mark.parametrize("note", [
    "req 2026-03-02 10:00 batch 17",
    "clerk-42 branch BJ01 desk 3",
    "8c0bb249-b6a4-4d3e-9f7a-2026-0302",
    "ticket 1234 5678",
    "5512-20260302-000126",  # branch, day, number: its digits pass as a card's, its shape not
])
def test_ordinary_numbers_in_groups_are_kept(log: DecisionLog, note: str) -> None:
    with log.context(note=note):
        pass


def test_the_application_name_is_checked_as_the_context_is(tmp_path: Path) -> None:
    with pytest.raises(AuditError, match="caller context `application`: holds a bank card"):
        DecisionLog(tmp_path / "log", keys=AuditKeys.generate(),
                    application=f"kiosk for {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}")
    assert not (tmp_path / "log").exists()
