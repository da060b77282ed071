"""A domain is one folder plus a pack: a toy domain installed as a plug-in works with every tool.

The toy domain (``tests/plugins/finpolicy_limits``, transaction limits) is installed into a
temporary environment the way pip would install a package: its folder on the path and a
``.dist-info`` with its ``finpolicy.domains`` entry point. finpolicy's code is not changed; the
CLI, the engine, policy test cases, ``diff``, the docs, the hypothesis strategies and the
invariant checks all find it through the entry point.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.helpers.plugins import PLUGINS, install, run_python


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder that holds the installed plug-in (package and metadata)."""
    return install(tmp_path_factory.mktemp("site-packages"))


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The toy pack, and a copy whose online limit was raised from 50,000 to 80,000."""
    root = tmp_path_factory.mktemp("packs")
    old = root / "old"
    shutil.copytree(PLUGINS / "limits-pack", old)
    new = root / "new"
    shutil.copytree(old, new)
    doc = new / "limits.yaml"
    data = yaml.safe_load(doc.read_text(encoding="utf-8"))
    data["metadata"]["version"] = "1.1.0"
    data["spec"]["rules"][0]["when"]["all"][1]["gt"] = 80_000
    doc.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return old, new


_run = run_python


def _cli(site: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return _run(site, "-m", "finpolicy", *args, cwd=cwd)


def test_validate_eval_demo_and_the_domains_own_command(site: Path, packs: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    old, _ = packs
    done = _cli(site, "validate", str(old))
    assert done.returncode == 0, done.stderr
    assert "1 documents" in done.stdout or "1 document" in done.stdout
    data = tmp_path / "txn.yaml"
    data.write_text("transaction: {id: t9, amount: 70000, channel: online}\n", encoding="utf-8")
    done = _cli(site, "eval", "limits", str(data), "-b", str(old), "--as-of", "2026-01-05",
                "--json")
    assert done.returncode == 1, done.stderr  # the domain's own refusal: it exited 0
    (decision,) = json.loads(done.stdout)
    assert decision["outcome"] == "block" and decision["transaction_id"] == "t9"
    data.write_text("transaction: {id: t8, amount: 10, channel: branch}\n", encoding="utf-8")
    allowed = _cli(site, "eval", "limits", str(data), "-b", str(old), "--as-of", "2026-01-05")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    done = _cli(site, "demo", "-b", str(old))
    assert done.returncode == 0, done.stderr
    assert "a large online transfer" in done.stdout and "block" in done.stdout
    listing = tmp_path / "txns.yaml"
    listing.write_text("- {id: a, amount: 10, channel: branch}\n"
                       "- {id: b, amount: 90000, channel: online}\n", encoding="utf-8")
    done = _cli(site, "limits", str(listing), "-b", str(old))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["a:", "allow", "b:", "block"]


@pytest.mark.slow
def test_policy_cases_with_coverage_and_diff(site: Path, packs: tuple[Path, Path]) -> None:
    old, new = packs
    done = _cli(site, "test", str(old), "--coverage", "--min-coverage", "100")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 of 3 cases passed" in done.stdout
    done = _cli(site, "diff", str(old), str(new), "--json", "--samples", "200")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    kinds = {(g["domain"], g["change"]) for g in report["groups"]}
    assert ("limits", "block->allow") in kinds
    assert report["evaluated"]["limits"] > 3  # the grid over channels and perturbations


@pytest.mark.slow
def test_docs_site_draws_the_domains_picture(site: Path, packs: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    old, _ = packs
    out = tmp_path / "site"
    done = _cli(site, "docs", str(old), "-o", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    page = (out / "policies" / "toy-limits.html").read_text(encoding="utf-8")
    assert "limits-table" in page and "Online transfers above 50,000 are blocked." in page


def test_engine_exports_strategies_and_invariants_find_the_plugin(
        site: Path, packs: tuple[Path, Path]) -> None:
    old, _ = packs
    script = textwrap.dedent(f"""
        import datetime as dt
        import finpolicy as fp
        from hypothesis import given, settings, strategies as st
        from finpolicy.testing import assert_invariants, strategies
        from finpolicy.domains.registry import names

        assert "limits" in names(), names()
        bundle = fp.load_bundle({str(old)!r})
        for name in ("compiled", "durable"):
            engine = fp.PolicyEngine(bundle, engine=name)
            d = engine.check_limit({{"id": "t", "amount": 60000, "channel": "online"}},
                                   as_of=dt.date(2026, 1, 5))
            assert d.outcome == "block" and d.rule_ids == ("online-large",), d
        assert fp.Transaction.__module__ == "finpolicy_limits"
        assert "Transaction" in dir(fp)
        txn = fp.Transaction(id="x", amount=1, channel="branch")
        assert txn.amount == 1

        @settings(max_examples=25, database=None)
        @given(strategies.transactions(bundle), st.from_type(fp.Transaction))
        def drawn(a, b):
            assert a.channel in {{"branch", "online"}} and isinstance(b, fp.Transaction)

        drawn()
        results = assert_invariants(bundle, max_examples=60, derandomize=True)
        assert [r.name for r in results] == ["large online transfers are never allowed"]
        assert results[0].applicable > 0
        print("ok")
    """)
    done = _run(site, "-c", script)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "ok"


def test_a_broken_invariant_of_the_plugin_is_found(site: Path, packs: tuple[Path, Path],
                                                    tmp_path: Path) -> None:
    old, _ = packs
    broken = tmp_path / "broken"
    shutil.copytree(old, broken)
    doc = broken / "limits.yaml"
    data = yaml.safe_load(doc.read_text(encoding="utf-8"))
    data["spec"]["rules"][0]["outcome"] = "refer"  # the invariant says block
    doc.write_text(yaml.safe_dump(data), encoding="utf-8")
    script = textwrap.dedent(f"""
        import finpolicy as fp
        from finpolicy.testing import check_invariants
        (result,) = check_invariants(fp.load_bundle({str(broken)!r}), max_examples=60,
                                     derandomize=True)
        assert not result.holds and result.outcome == "refer", result
        print("found")
    """)
    done = _run(site, "-c", script)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "found"


def test_an_incomplete_plugin_is_an_error_naming_it(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "half_domain").mkdir(parents=True)
    (root / "half_domain" / "__init__.py").write_text(textwrap.dedent("""
        from finpolicy.domains.base import Domain
        from finpolicy_limits import POLICY_KIND, evaluate_input
        DOMAIN = Domain(name="half", title="Half", package=__name__, kinds=(POLICY_KIND,),
                        evaluate_input=evaluate_input)  # no invariant adapter for its kind
    """), encoding="utf-8")
    install(root, "half-domain", "half = half_domain:DOMAIN")
    done = _cli(root, "validate", "cn-banking")
    assert done.returncode != 0
    assert "domain `half` is incomplete: kind `LimitPolicy` has no invariant adapter" in \
        done.stderr
    assert "Traceback" not in done.stderr


def test_lint_fmt_schema_and_the_service_take_the_plugin(site: Path,
                                                         packs: tuple[Path, Path]) -> None:
    old, _ = packs
    pack = str(PLUGINS / "limits-pack")  # as written (the copies are rewritten by yaml)
    done = _cli(site, "lint", pack)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "limits-pack: no findings" in done.stdout + done.stderr
    done = _cli(site, "fmt", "--check", pack)
    assert done.returncode == 0, done.stdout + done.stderr
    done = _cli(site, "schema")
    assert done.returncode == 0, done.stderr
    schema = json.loads(done.stdout)["LimitPolicy.schema.json"]
    assert "channels" in json.dumps(schema)
    done = _cli(site, "serve", str(old), "--openapi", "-")
    assert done.returncode == 0, done.stderr
    paths = json.loads(done.stdout)["paths"]
    assert {"/v1/limits/check_limit", "/v1/limits/check_limit/batch"} <= set(paths)


def test_eval_why_explains_the_plugins_decision_with_checked_suggestions(
        site: Path, packs: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = packs
    data = tmp_path / "txn.yaml"
    data.write_text("transaction: {id: t9, amount: 70000, channel: online}\n", encoding="utf-8")
    done = _cli(site, "eval", "limits", str(data), "-b", str(old), "--as-of", "2026-01-05",
                "--why", "--json")
    assert done.returncode == 1, done.stdout + done.stderr  # blocked, explained
    (explained,) = json.loads(done.stdout)
    assert (explained["outcome"], explained["target"]) == ("block", "allow")
    suggestions = {s["text"]: s["outcome"] for s in explained["suggestions"]}
    assert suggestions == {"reduce the amount to at most 50,000.00": "allow",
                           "send it through `branch` instead": "allow"}
