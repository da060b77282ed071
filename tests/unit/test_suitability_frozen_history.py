"""A ``Customer`` is frozen, its assessment history too: an assessment appended in place was
decided, and its input digest logged, as the customer before it."""

from __future__ import annotations

import copy
import datetime as dt
import pickle

import pytest

import finpolicy as fp

ENGINE = fp.PolicyEngine(fp.load_bundle())
ON = dt.date(2026, 3, 2)
FUND = fp.Product(id="tdf-2045", kind="fund", risk_level="R3")


def _customer() -> fp.Customer:
    return fp.Customer(id="c1", risk_level="C3", assessment_date=ON, assessment_history=[ON])


def test_an_assessment_cannot_be_appended_in_place() -> None:
    customer = _customer()
    before = ENGINE.check_suitability(customer, FUND, as_of=ON)
    assert (before.outcome, before.assessments_that_day) == ("suitable", 2)
    # appended, the third assessment of the day was still decided 'suitable, 2 that day'
    with pytest.raises(TypeError, match="cannot be changed in place; make a new one with "
                                        r"customer.model_copy\(update="):
        customer.assessment_history.append(ON)
    for change in (lambda h: h.extend([ON]), lambda h: h.insert(0, ON),
                   lambda h: h.__setitem__(0, ON), lambda h: h.__iadd__([ON]),
                   lambda h: h.pop(), lambda h: h.clear()):
        with pytest.raises(TypeError):
            change(customer.assessment_history)
    assert customer.assessment_history == [ON]
    again = ENGINE.check_suitability(customer, FUND, as_of=ON)
    assert again.input_digest == before.input_digest


def test_a_new_customer_with_the_assessment_is_decided_anew() -> None:
    customer = _customer()
    ENGINE.check_suitability(customer, FUND, as_of=ON)
    third = customer.model_copy(update={"assessment_history": [*customer.assessment_history,
                                                               ON]})
    d = ENGINE.check_suitability(third, FUND, as_of=ON)
    assert (d.outcome, d.assessments_that_day) == ("unsuitable", 3)


def test_the_history_still_reads_compares_copies_and_pickles_as_a_list() -> None:
    customer = _customer()
    assert customer.assessment_history == [ON]
    assert [*customer.assessment_history, ON] == [ON, ON]
    assert customer.model_dump()["assessment_history"] == [ON]
    assert customer.model_dump(mode="json")["assessment_history"] == ["2026-03-02"]
    for twin in (pickle.loads(pickle.dumps(customer)), copy.deepcopy(customer),
                 copy.copy(customer)):
        assert twin == customer
        with pytest.raises(TypeError):
            twin.assessment_history.append(ON)
    assert fp.Customer(id="c2").assessment_history == []
