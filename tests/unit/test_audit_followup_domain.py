"""``audit find --domain`` of a plug-in's domain that is not installed where the auditor reads
the log, though the log's entries name it: accepted; a name neither installed nor in the log
is still refused, naming the domains there are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from unittest import mock

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy.audit import AuditError, AuditKeys, DecisionLog, find_entries
from finpolicy.cli import main
from finpolicy.domains import registry

ON = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> str:
    where = str(tmp_path_factory.mktemp("domain") / "audit.db")
    log = DecisionLog(where, keys=AuditKeys.generate(), application="branch-app")
    engine = fp.PolicyEngine(fp.load_bundle(), log=log)
    engine.check_suitability(
        fp.Customer(id="610113196105075585", risk_level="C3",
                    assessment_date=ON - dt.timedelta(days=30),
                    birth_date=dt.date(1985, 6, 1), investable_assets=480_000.0),
        fp.Product(id="P-1", kind="wealth_management", risk_level="R2"), as_of=ON)
    log.close()
    return where


@pytest.fixture()
def suitability_not_installed() -> Iterator[None]:
    """Where the auditor runs finpolicy, the domain that wrote the entries is not installed
    (as a bank's plug-in would not be)."""
    installed = [n for n in registry.names() if n != "suitability"]
    with mock.patch.object(registry, "names", lambda: list(installed)), \
            mock.patch("finpolicy.audit.search.names", lambda: list(installed)):
        yield


def test_a_domain_the_log_names_is_accepted_though_not_installed(
        logged: str, suitability_not_installed: None) -> None:
    [found] = find_entries(logged, None, domain="suitability")
    assert found.entry.method == "check_suitability"
    result = CliRunner().invoke(main, ["audit", "find", logged, "--domain", "suitability"])
    assert result.exit_code == 0, result.output
    assert "1 entry match" in result.output


def test_a_domain_neither_installed_nor_logged_is_refused_naming_those_there_are(
        logged: str, suitability_not_installed: None) -> None:
    with pytest.raises(AuditError, match=r"domain: `suitabilty` is no domain; expected one "
                                         r"of access, .*suitability.* \(the domains "
                                         r"installed here and those the log's entries name\)"):
        list(find_entries(logged, None, domain="suitabilty"))
    result = CliRunner().invoke(main, ["audit", "find", logged, "--domain", "suitabilty"])
    assert result.exit_code == 3
    assert "`suitabilty` is no domain; expected one of" in result.output
    assert "suitability" in result.output.split("expected one of")[1]
