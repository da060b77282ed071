"""``audit find`` by the day a decision was made as of (``--as-of-from``/``--as-of-to``,
``find_entries(as_of_from=, as_of_to=)``), apart from the day its entry was written
(``--since``/``--until``): a batch decided today as of March is found by March's days."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, find_entries
from finpolicy.cli import main

MARCH = dt.date(2026, 3, 2)
SH = dt.timezone(dt.timedelta(hours=8))


def _customer() -> fp.Customer:
    return fp.Customer(id="610113196105075585", risk_level="C3",
                       assessment_date=MARCH - dt.timedelta(days=30),
                       birth_date=dt.date(1985, 6, 1), investable_assets=480_000.0)


def _request(as_of: dt.datetime) -> fp.AccessRequest:
    return fp.AccessRequest(
        subject=fp.Subject(id="u-7", roles=["teller"], department="retail", branch="BJ01"),
        action="read", purpose="account_service", as_of=as_of,
        resource=fp.Resource(type="customer_record", data_level="core",
                             category="basic_identity", department="retail", branch="BJ01"))


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Written today: a suitability check as of 2 March (a backdated batch), an access
    request at 07:00 on 1 April in Shanghai (23:00 on 31 March UTC), and one as of today."""
    where = str(tmp_path_factory.mktemp("asof") / "log")
    log = DecisionLog(where, keys=AuditKeys.generate(), application="batch")
    engine = fp.PolicyEngine(fp.load_bundle(), log=log)
    engine.check_suitability(_customer(), fp.Product(id="P-1", kind="wealth_management",
                                                     risk_level="R2"), as_of=MARCH)
    engine.authorize(_request(dt.datetime(2026, 4, 1, 7, tzinfo=SH)))
    engine.authorize(_request(dt.datetime.now(SH)))
    log.close()
    return where


def test_a_backdated_decision_is_found_by_the_day_it_was_made_as_of(logged: str) -> None:
    march = list(find_entries(logged, None, as_of_from="2026-03-01",
                              as_of_to=dt.date(2026, 3, 31)))
    assert [(f.entry.domain, f.entry.as_of) for f in march] == [("suitability", "2026-03-02")]
    # a time's day is the one at its own offset: 07:00 on 1 April in Shanghai is April's
    april = list(find_entries(logged, None, domain="access", as_of_from="2026-04-01",
                              as_of_to="2026-04-01"))
    assert [f.entry.as_of for f in april] == ["2026-04-01T07:00:00+08:00"]
    # written today, so the days of writing do not find it
    assert list(find_entries(logged, None, since="2026-03-01", until="2026-03-31")) == []
    assert len(list(find_entries(logged, None, as_of_from="2026-03-01"))) == 3


def test_an_inverted_range_of_as_of_days_is_refused(logged: str) -> None:
    with pytest.raises(AuditError, match="as_of_from, as_of_to: 2026-04-01 is after "
                                         "2026-03-01"):
        list(find_entries(logged, None, as_of_from="2026-04-01", as_of_to="2026-03-01"))
    with pytest.raises(AuditError, match="as_of_to must be a date"):
        list(find_entries(logged, None, as_of_to="March"))


def test_cli_finds_by_the_as_of_day(logged: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["audit", "find", logged, "--as-of-from", "2026-03-01",
                                  "--as-of-to", "2026-03-31", "--json"])
    assert result.exit_code == 0, result.output
    assert [e["as_of"] for e in json.loads(result.output)["entries"]] == ["2026-03-02"]
    written = runner.invoke(main, ["audit", "find", logged, "--since", "2026-03-01",
                                   "--until", "2026-03-31"])
    assert written.exit_code == 0 and "no entry match" in written.output
    bad = runner.invoke(main, ["audit", "find", logged, "--as-of-from", "2026-04-01",
                               "--as-of-to", "2026-03-01"])
    assert bad.exit_code == 3 and "is after --as-of-to 2026-03-01" in bad.output
    helped = runner.invoke(main, ["audit", "find", "--help"])
    assert "--as-of-from" in helped.output and "--as-of-to" in helped.output

