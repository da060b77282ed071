"""Each domain's call models (the JSON form of its operations, ``Domain.calls``)."""

from __future__ import annotations

import inspect

import attrs
import pytest

from finpolicy.domains.base import Call
from finpolicy.domains.registry import domains

LOCAL_ONLY = {"scan"}  # reads files on the machine that runs it


@pytest.mark.parametrize("domain", domains(), ids=lambda d: d.name)
def test_every_operation_but_local_ones_has_a_call_model(domain: object) -> None:
    assert set(domain.calls) == set(domain.operations) - LOCAL_ONLY  # type: ignore[attr-defined]


@pytest.mark.parametrize("domain", domains(), ids=lambda d: d.name)
def test_call_fields_are_parameters_of_the_operation(domain: object) -> None:
    for method, model in domain.calls.items():  # type: ignore[attr-defined]
        parameters = inspect.signature(domain.operations[method]).parameters  # type: ignore[attr-defined]
        assert set(model.model_fields) <= set(parameters) - {"runtime"}, method


def test_arguments_are_only_those_given() -> None:
    class Example(Call):
        request: str
        policy: str | None = None

    assert Example(request="r").arguments() == {"request": "r"}
    assert Example(request="r", policy=None).arguments() == {"request": "r", "policy": None}


def test_a_call_model_for_no_operation_is_a_problem() -> None:
    domain = domains()[0]

    class Stray(Call):
        x: int

    broken = attrs.evolve(domain, calls={**domain.calls, "launch": Stray})
    assert "gives a call model for `launch`, which is not one of its operations" in \
        broken.problems()
