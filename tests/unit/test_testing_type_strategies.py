"""``st.from_type`` of a domain's input model draws with the domain's own strategy
(``TYPE_STRATEGIES``), even when its strategies module is what first imports hypothesis: the
start-up hook then sees that module half-imported, and must not read ``TYPE_STRATEGIES`` yet."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.helpers.plugins import install, run_python


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install(tmp_path_factory.mktemp("site-packages"))


def test_a_plugins_type_strategy_counts_when_its_module_imports_hypothesis_first(
        site: Path) -> None:
    # the plug-in's strategies module is imported before anything else imports hypothesis
    script = textwrap.dedent("""
        import sys
        assert "hypothesis" not in sys.modules
        import finpolicy_limits.strategies as mine
        from hypothesis import given, settings, strategies as st
        import finpolicy_limits as limits
        seen = set()

        @settings(max_examples=40, database=None, derandomize=True)
        @given(st.from_type(limits.Transaction))
        def drawn(txn):
            seen.add((txn.id, txn.amount, txn.channel))

        drawn()
        ids = {i for i, _, _ in seen}
        amounts = {a for _, a, _ in seen}
        assert ids == {"t1"}, ids
        assert amounts <= {0.0, 49_999.0, 50_000.0, 50_001.0, 1e6}, amounts
        assert {c for _, _, c in seen} <= {"branch", "online"}
        print("ok")
    """)
    done = run_python(site, "-c", script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_shipped_domains_type_strategies_count_in_a_fresh_interpreter(site: Path) -> None:
    # the consent strategies module imported first: a Recipient is drawn by its strategy
    # (names partner-a, partner-b or bank-crm), not built from arbitrary text, and is one
    script = textwrap.dedent("""
        import finpolicy.domains.consent.strategies
        from hypothesis import given, settings, strategies as st
        import finpolicy as fp
        names = set()

        @settings(max_examples=40, database=None, derandomize=True)
        @given(st.from_type(fp.Recipient))
        def drawn(r):
            assert isinstance(r, fp.Recipient), r
            names.add(r.name)

        drawn()
        assert names <= {"partner-a", "partner-b", "bank-crm"}, names
        print("ok")
    """)
    done = run_python(site, "-c", script)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
