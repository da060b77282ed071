"""Each policy's page says how its kind combines the matching rules into a decision
(``PolicyKind.combining``), for the built-in kinds and a plug-in's alike: an auditor reads the
rules by it, and the site showed it nowhere."""

from __future__ import annotations

import html
import re
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")

import finpolicy as fp
from finpolicy import docgen
from finpolicy.cli import main
from finpolicy.documents import registry
from finpolicy.documents.bundle import shipped_packs
from tests.helpers.plugins import PLUGINS, install, run_python

_TAGS = re.compile(r"<[^>]+>")


def _text(page: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", page)).split())


def _section(page: str, title: str) -> str:
    """The visible text of the first section headed ``title`` (up to the next heading)."""
    text = _text(page)
    assert title in text, f"no section `{title}`"
    return text.split(title, 1)[1].split("Rules:", 1)[0]


def test_every_policy_page_says_how_its_kind_combines_rules(tmp_path: Path) -> None:
    out = tmp_path / "site"
    pack = shipped_packs() / "cn-banking"
    done = CliRunner().invoke(main, ["docs", str(pack), "-o", str(out), "--no-pictures"])
    assert done.exit_code == 0, done.output
    kinds = registry.kinds()
    for policy_id, docs in docgen.policy_groups(fp.load_bundle(pack)).items():
        page = (out / "policies" / f"{policy_id}.html").read_text(encoding="utf-8")
        said = " ".join(kinds[docs[-1].kind].combining.split())
        assert said  # every built-in kind declares it
        # one section per version, each saying it before its rules
        assert _text(page).count(f"As for every {docs[-1].kind}, {said}.") == len(docs)
        assert said in _section(page, "How the rules combine")


def test_a_plugin_kinds_combining_is_on_its_policy_page(tmp_path: Path) -> None:
    site = install(tmp_path / "site")
    out = tmp_path / "out"
    done = run_python(site, "-m", "finpolicy", "docs", str(PLUGINS / "limits-pack"),
                      "-o", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    page = (out / "policies" / "toy-limits.html").read_text(encoding="utf-8")
    assert ("As for every LimitPolicy, the most restrictive outcome wins "
            "(block > refer > allow).") in _section(page, "How the rules combine")


def test_a_kind_that_does_not_say_is_named_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = fp.load_bundle()
    doc = bundle.policies("SuitabilityPolicy")[-1]
    found = registry.kinds()
    silent = {**found, doc.kind: attrs.evolve(found[doc.kind], combining="  ")}
    monkeypatch.setattr(registry, "kinds", lambda: silent)
    assert docgen.combining(doc) == (
        "The kind SuitabilityPolicy does not say how its rules combine (its domain declares "
        "no PolicyKind.combining): ask its owner before relying on the order of rules.")
