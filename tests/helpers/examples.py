"""The shipped pack's example cases (``examples/*.yaml``), every domain, as tests take them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml

import finpolicy as fp

EXAMPLES = sorted((Path(fp.load_bundle().root) / "examples").glob("*.yaml"))


def when(value: object) -> object:
    """A case's ``as_of`` as the API takes it: a date, an aware datetime, or ``None``."""
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value)
    return dt.datetime.fromisoformat(text) if "T" in text else dt.date.fromisoformat(text)


def example_cases() -> list[tuple[str, str, dict[str, Any]]]:
    """(domain, case name, case) for every case of every example file."""
    out = []
    for file in EXAMPLES:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        out += [(data["domain"], case["name"], case) for case in data["cases"]]
    return out
