"""``audit find -v u-head-7`` finds an entry whose caller context holds ``user=U-HEAD-7``:
the context is compared by canonical id, past the quick byte test as well."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditKeys, DecisionLog, find_entries
from finpolicy.cli import main

ON = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, AuditKeys, Path]:
    """Three checks: by clerk-42 (the first entry is read whole, whatever it holds), by the
    clerk written U-HEAD-7 in the context, and by ｕ－ｈｅａｄ－７ (full width)."""
    root = tmp_path_factory.mktemp("context")
    keys = AuditKeys.generate()
    where = str(root / "log")
    log = DecisionLog(where, keys=keys, application="branch-app")
    engine = fp.PolicyEngine(fp.load_bundle(), log=log)
    customer = fp.Customer(id="610113196105075585", risk_level="C3",
                           assessment_date=ON - dt.timedelta(days=30),
                           birth_date=dt.date(1985, 6, 1), investable_assets=480_000.0)
    for user in ("clerk-42", "U-HEAD-7", "ｕ－ｈｅａｄ－７"):
        with log.context(user=user, request_id=f"req-{user}"):
            engine.check_suitability(customer, fp.Product(
                id="P-1", kind="wealth_management", risk_level="R2"), as_of=ON)
    log.close()
    return where, keys, keys.save(root / "keys")


def test_a_clerk_in_the_context_is_found_in_any_case(
        case: tuple[str, AuditKeys, Path]) -> None:
    where, keys, _ = case
    for sought in ("u-head-7", "U-HEAD-7", "U-Head-7"):
        found = list(find_entries(where, keys, [sought]))
        assert [f.entry.context["user"] for f in found if f.entry.context] == \
            ["U-HEAD-7", "ｕ－ｈｅａｄ－７"], sought
        assert all(f.places[0].path == "context.user" and f.places[0].value == sought
                   for f in found)
    assert [f.entry.context for f in find_entries(where, keys, ["CLERK-42"])] == \
        [{"application": "branch-app", "user": "clerk-42", "request_id": "req-clerk-42"}]


def test_cli_finds_the_clerk_written_otherwise(case: tuple[str, AuditKeys, Path]) -> None:
    where, _, folder = case
    result = CliRunner().invoke(main, ["audit", "find", where, "--keys", str(folder),
                                       "-v", "u-head-7", "--json"])
    assert result.exit_code == 0, result.output
    assert [e["context"]["user"] for e in json.loads(result.output)["entries"]] == \
        ["U-HEAD-7", "ｕ－ｈｅａｄ－７"]
