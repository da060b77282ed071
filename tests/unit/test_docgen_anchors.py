"""A rule's anchor on its policy's page outlives the version: an examiner's bookmark or a
citation made on one release of the site still leads to the rule on the next, when the
policy's version has changed in between."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")
from docutils import nodes  # installed with Sphinx

import finpolicy as fp
from finpolicy import docgen
from finpolicy.docgen.doctree import versions_nodes
from finpolicy.docgen.site import project_files
from finpolicy.documents.bundle import shipped_packs
from finpolicy.engine import PolicyEngine

CN = shipped_packs() / "cn-banking"


def _ids(bundle: fp.Bundle, policy_id: str) -> dict[str, str]:
    """Every id of the rules' entries on a policy's page → the rule's entry text."""
    tree = versions_nodes(docgen.policy_groups(bundle)[policy_id], PolicyEngine(bundle),
                          pictures=False)
    out: dict[str, str] = {}
    for top in tree:
        if isinstance(top, nodes.Element):
            for term in top.findall(nodes.term):
                for ident in term["ids"]:
                    assert ident not in out, f"{ident} twice on the page"
                    out[ident] = term.astext()
    return out


def _next_release(tmp_path: Path) -> tuple[Path, str]:
    """The pack as a next release might ship it: the newest version of cn-access replaced by
    one numbered one patch higher, its rules unchanged; and the version replaced."""
    newest = docgen.policy_groups(fp.load_bundle(CN))["cn-access"][-1]
    copy = tmp_path / "cn-banking"
    shutil.copytree(CN, copy)
    file = copy / Path(newest.file).name
    text = file.read_text(encoding="utf-8")
    major, minor, patch = (int(x) for x in newest.version.split("."))
    new = re.sub(rf"(?m)^(  version: ){re.escape(newest.version)}$",
                 rf"\g<1>{major}.{minor}.{patch + 1}", text)
    assert new != text
    file.write_text(new, encoding="utf-8")
    return copy, newest.version


def test_a_rule_keeps_an_anchor_when_its_policy_version_changes(tmp_path: Path) -> None:
    before = _ids(fp.load_bundle(CN), "cn-access")
    copy, replaced = _next_release(tmp_path)
    after = _ids(fp.load_bundle(copy), "cn-access")
    anchor = "rule-cn-access-access-marketing-never-core"
    assert before[anchor] == after[anchor] == "marketing-never-core"
    # the version's own anchor goes with the version; the one without a version stays
    gone = f"rule-cn-access-{replaced.replace('.', '-')}-access-marketing-never-core"
    assert gone in before
    assert gone not in after
    kept = {i for i in before if f"-{replaced.replace('.', '-')}-" not in i}
    assert anchor in kept and kept <= set(after)


def test_the_anchor_without_a_version_is_on_the_newest_version_holding_the_rule() -> None:
    bundle = fp.load_bundle(CN)
    docs = docgen.policy_groups(bundle)["cn-suitability"]
    tree = versions_nodes(docs, PolicyEngine(bundle), pictures=False)
    holder: dict[str, str] = {}
    for section in tree:
        if not isinstance(section, nodes.section):
            continue
        version = section["ids"][0].removeprefix("cn-suitability-")
        for term in section.findall(nodes.term):
            for ident in term["ids"]:
                if ident.startswith("rule-cn-suitability-suitability-"):
                    holder[ident.removeprefix("rule-cn-suitability-suitability-")] = version
    rules = [{r.id for rs in d.policy.rulesets.values() for r in rs.rules} for d in docs]
    newest = {rule: next(d.version for d, ids in zip(reversed(docs), reversed(rules),
                                                     strict=True) if rule in ids)
              for rule in set().union(*rules)}
    assert holder == {rule: version.replace(".", "-") for rule, version in newest.items()}
    # a rule of the 2018 version alone keeps its anchor on that version
    assert holder["first-purchase-assessed-in-branch"] == "1-3-0"


def test_a_rule_id_links_to_its_lasting_anchor() -> None:
    bundle = fp.load_bundle(CN)
    tree = versions_nodes(docgen.policy_groups(bundle)["cn-complaints"], PolicyEngine(bundle),
                          pictures=False)
    terms = [t for top in tree if isinstance(top, nodes.Element)
             for t in top.findall(nodes.term) if t["ids"]]  # rules' (invariants have none)
    links = [t.next_node(nodes.reference) for t in terms]
    assert links and all(link is not None for link in links)
    assert {link["refid"] for link in links if link is not None} == {
        t["ids"][-1] for t in terms}
    assert all(not re.search(r"-\d+-\d+-\d+-", t["ids"][-1]) for t in terms)


def test_the_site_carries_the_script_that_follows_an_old_rule_link() -> None:
    conf = project_files(fp.load_bundle(CN))["conf.py"]
    namespace: dict[str, Any] = {}
    exec(compile(conf, "conf.py", "exec"), namespace)  # the generated file, as Sphinx reads it
    assert "finpolicy-anchors.js" in namespace["html_js_files"]
    script = Path(docgen.__file__).parent / "static" / "finpolicy-anchors.js"
    assert script.is_file()
