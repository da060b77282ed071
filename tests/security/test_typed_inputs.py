"""The typed API reads an evaluation time as its input models read a time: ISO text with a T
or a space, a date, or an aware datetime; anything else is an InputError naming as_of."""

from __future__ import annotations

import datetime as dt

import pytest

import finpolicy as fp

CUSTOMER = fp.Customer(id="c1", risk_level="C3", assessment_date=dt.date(2026, 1, 10))
PRODUCT = fp.Product(id="p1", kind="fund", risk_level="R1")


@pytest.fixture(scope="module")
def engine() -> fp.PolicyEngine:
    return fp.PolicyEngine(fp.load_bundle())


@pytest.mark.parametrize("as_of", ["2026-03-01 10:00+08:00", "2026-03-01T10:00+08:00",
                                   "2026-03-01", dt.date(2026, 3, 1)])
def test_an_evaluation_time_is_read_as_a_time_field_reads_it(engine: fp.PolicyEngine,
                                                             as_of: object) -> None:
    # "2026-03-01 10:00+08:00" (ISO with a space, as assessment_date takes it) was "expected
    # an ISO date"
    assert engine.check_suitability(CUSTOMER, PRODUCT, as_of=as_of).as_of == dt.date(2026, 3, 1)


@pytest.mark.parametrize(("as_of", "code"), [("2026-03-01 10:00", "naive_datetime"),
                                             ("2026-03-01x", "bad_date"),
                                             ("tomorrow", "bad_date")])
def test_an_evaluation_time_that_is_none_is_named(engine: fp.PolicyEngine, as_of: str,
                                                  code: str) -> None:
    with pytest.raises(fp.InputError) as error:
        engine.check_suitability(CUSTOMER, PRODUCT, as_of=as_of)
    assert [(p.path, p.code) for p in error.value.problems] == [("as_of", code)]
