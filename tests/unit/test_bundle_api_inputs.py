"""A bundle as an application meets it: its repr fits on a line (it is printed in logs and
tracebacks), ``in_force`` takes its day as an evaluation's ``as_of`` does, and
``load_bundle`` of something that is no path names ``path``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import finpolicy as fp


def test_a_bundles_repr_names_it_in_one_short_line() -> None:
    bundle = fp.load_bundle()
    text = repr(bundle)
    assert len(text) < 300, len(text)  # it was a quarter of a megabyte
    assert text == (f"<Bundle cn-banking {bundle.version} {bundle.digest[:12]} at "
                    f"{bundle.root} ({len(bundle.documents)} documents)>")


@pytest.mark.parametrize("on", [dt.date(2026, 3, 1), "2026-03-01",
                                dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)],
                         ids=["date", "text", "aware"])
def test_in_force_takes_its_day_as_as_of_does(on: Any) -> None:
    bundle = fp.load_bundle()
    assert bundle.in_force("SuitabilityPolicy", on) is \
        bundle.in_force("SuitabilityPolicy", dt.date(2026, 3, 1))


@pytest.mark.parametrize(("on", "said"), [
    (dt.datetime(2026, 3, 1, 9), "naive datetime"), ("March 1", "expected an ISO date"),
    (None, "expected a date, got None"), (20260301, "expected a date, got int")])
def test_in_force_of_no_day_names_on(on: Any, said: str) -> None:
    with pytest.raises(fp.InputError) as info:
        fp.load_bundle().in_force("SuitabilityPolicy", on)
    assert info.value.problems[0].path == "on"
    assert said in str(info.value)


@pytest.mark.parametrize("path", [5, b"policies/cn-banking", ["policies/cn-banking"]])
def test_load_bundle_of_no_path_names_path(path: Any) -> None:
    with pytest.raises(fp.InputError) as info:
        fp.load_bundle(path)
    assert info.value.problems[0].path == "path"
    assert "expected a bundle folder, a shipped pack's name or git:REV:PATH" in str(info.value)
