"""Generated documentation: every rule reaches the pages, sites link every policy, and the pure
helpers of ``finpolicy.docgen`` say what the policies say (the sites in a browser:
``tests/browser``)."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

# Sphinx comes with the `docs` extra (and should come with `test`); without it, skip loudly.
pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")
from docutils import nodes  # installed with Sphinx

import finpolicy as fp
from finpolicy import docgen
from finpolicy.cli import main
from finpolicy.cli.docs import heading, project_files, rst_escape
from finpolicy.documents.bundle import shipped_packs
from finpolicy.rules.render import render

PACKS = shipped_packs()
CN = PACKS / "cn-banking"
UK = PACKS / "uk-fca"
_TAGS = re.compile(r"<[^>]+>")


def _text(page: str) -> str:
    """The visible text of an HTML page, whitespace collapsed."""
    return " ".join(html.unescape(_TAGS.sub(" ", page)).split())


def _build(pack: Path, out: Path) -> None:
    result = CliRunner().invoke(main, ["docs", str(pack), "-o", str(out), "--strict"])
    assert result.exit_code == 0, result.output
    assert (out / "index.html").is_file()


@pytest.fixture(scope="module")
def cn_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cn-site")
    _build(CN, out)
    return out


@pytest.fixture(scope="module")
def cn_bundle() -> fp.Bundle:
    return fp.load_bundle(CN)


# --- the generated site ------------------------------------------------------------------------

@pytest.mark.slow
def test_every_rule_of_every_cn_banking_policy_appears_on_its_page(
        cn_site: Path, cn_bundle: fp.Bundle) -> None:
    checked = 0
    for doc in cn_bundle.documents:
        page = (cn_site / "policies" / f"{doc.id}.html").read_text(encoding="utf-8")
        text = _text(page)
        for name, ruleset in doc.policy.rulesets.items():
            for rule in ruleset.rules:
                anchor = nodes.make_id(f"rule-{doc.id}-{doc.version}-{name}-{rule.id}")
                assert f'id="{anchor}"' in page, f"{doc.key} {name}/{rule.id} has no entry"
                assert rule.id in text
                # the pack's language is zh: facts show their Chinese labels
                assert " ".join(render(rule.when, language="zh").split()) in text, (
                    doc.key, rule.id)
                if rule.cite:
                    assert " ".join(rule.cite.split()) in text, (doc.key, rule.id)
                checked += 1
    assert checked == sum(len(rs.rules) for d in cn_bundle.documents
                          for rs in d.policy.rulesets.values())
    assert checked > 0


@pytest.mark.slow
def test_a_rule_added_to_a_copy_of_the_pack_appears_in_its_site(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(CN, pack)
    policy = pack / "suitability-2026.yaml"
    text = policy.read_text(encoding="utf-8")
    planted = """  rules:
    - id: planted-rule-for-docs
      when: {field: customer.age, ge: 99}
      outcome: conditional
      obligations: [follow_up_call]
      reason: A planted rule that the generated pages must show.
      cite: nfra-2025-7 Art. 99
"""
    assert text.count("\n  rules:\n") == 1
    policy.write_text(text.replace("  rules:\n", planted, 1), encoding="utf-8")
    _build(pack, tmp_path / "site")
    page = _text((tmp_path / "site" / "policies" / "cn-suitability.html")
                 .read_text(encoding="utf-8"))
    assert ("planted-rule-for-docs When the customer's age (客户年龄) is at least 99: "
            "the outcome is conditional") in page
    assert "A planted rule that the generated pages must show." in page


def test_policy_pages_show_metadata_and_sources(cn_site: Path, cn_bundle: fp.Bundle) -> None:
    for doc in cn_bundle.documents:
        text = _text((cn_site / "policies" / f"{doc.id}.html").read_text(encoding="utf-8"))
        m = doc.metadata
        assert f"Version {m.version}" in text
        assert str(m.effective_from) in text and m.owner in text and m.jurisdiction in text
        # each version's own title: the 2018 suitability policy's was shown nowhere
        assert f"Title : {' '.join(m.title.split())}" in text, doc.key
        for source in m.sources:
            assert source.id in text and " ".join(source.title.split()) in text


def test_version_history_lists_the_rules_added_and_removed(
        cn_site: Path, cn_bundle: fp.Bundle) -> None:
    text = _text((cn_site / "history.html").read_text(encoding="utf-8"))
    pairs = docgen.version_pairs(cn_bundle)
    assert pairs, "the pack is expected to hold a policy with two versions"
    for old, new in pairs:
        assert f"{old.id}: {old.version} → {new.version}" in text
        for change in docgen.rule_changes(old, new):
            assert change.rule_id in text


@pytest.mark.slow
def test_uk_fca_site_index_links_every_policy(tmp_path: Path) -> None:
    if not UK.is_dir():
        pytest.skip("the uk-fca pack is not in this checkout")
    _build(UK, tmp_path)
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="([^"#]+)', index))
    for policy_id in docgen.policy_groups(fp.load_bundle(UK)):
        assert f"policies/{policy_id}.html" in links
        assert (tmp_path / "policies" / f"{policy_id}.html").is_file()


def test_an_invalid_pack_fails_with_the_policy_exit_code(tmp_path: Path) -> None:
    (tmp_path / "pack").mkdir()
    result = CliRunner().invoke(main, ["docs", str(tmp_path / "pack"), "-o",
                                       str(tmp_path / "site")])
    assert result.exit_code == 2
    assert not (tmp_path / "site" / "index.html").exists()


# --- pure helpers --------------------------------------------------------------------------------

def test_project_index_links_one_page_per_policy(cn_bundle: fp.Bundle) -> None:
    files = project_files(cn_bundle)
    for policy_id in docgen.policy_groups(cn_bundle):
        assert f"policies/{policy_id}.rst" in files
        assert f"   policies/{policy_id}" in files["index.rst"]
    assert "finpolicy.sphinx" in files["conf.py"]


def test_rst_escape_keeps_markup_characters_literal() -> None:
    assert rst_escape("*a* `b` _c_") == r"\*a\* \`b\` \_c\_"
    _, underline = heading("数据 policy").splitlines()
    assert len(underline) == 2 * 2 + len(" policy")


def test_rule_changes_report_added_removed_and_changed_rules(cn_bundle: fp.Bundle) -> None:
    old, new = docgen.version_pairs(cn_bundle)[0]
    changes = docgen.rule_changes(old, new)
    old_ids = {v.id for v in docgen.rule_views(old)}
    new_ids = {v.id for v in docgen.rule_views(new)}
    assert {c.rule_id for c in changes if c.change == "added"} == new_ids - old_ids
    assert {c.rule_id for c in changes if c.change == "removed"} == old_ids - new_ids
    assert docgen.rule_changes(new, new) == []


def test_policy_listing_names_every_rule_in_words(cn_bundle: fp.Bundle) -> None:
    listing = docgen.bundle_listing(cn_bundle)
    for doc in cn_bundle.documents:
        for view in docgen.rule_views(doc, language=docgen.pack_language(cn_bundle)):
            assert f"rule {view.ruleset}/{view.id}: when {view.condition}" in listing


def test_policy_listing_says_how_the_rules_combine_as_the_site_does(
        cn_bundle: fp.Bundle) -> None:
    for doc in cn_bundle.documents:
        listing = docgen.policy_listing(doc)
        assert f"  how the rules combine: {docgen.combining(doc)}\n" in listing
        assert docgen.combining(doc).startswith(f"As for every {doc.kind}, ")


def test_error_codes_come_from_the_registry() -> None:
    codes = {c.code: c for c in docgen.error_codes()}
    for code in ("unknown_operator", "version_overlap", "no_manifest", "unknown_field"):
        assert code in codes
    assert codes["unknown_operator"].kind == "policy"
    assert codes["duplicate_level"].origin == "suitability"  # a domain declares its own
    assert all(c.summary.endswith(".") for c in codes.values())


def test_schema_rows_cover_every_field_of_the_metadata_model() -> None:
    from finpolicy.documents.models import Metadata

    (title, rows), *nested = docgen.schema_rows(Metadata)
    assert title == "Metadata"
    assert [r[0] for r in rows] == list(Metadata.model_fields)
    assert any(name == "Source" for name, _ in nested)


def test_api_page_documents_every_public_name() -> None:
    api = (Path(__file__).resolve().parents[2] / "docs" / "api.rst").read_text(encoding="utf-8")
    missing = [name for name in fp.__all__ if name != "__version__"
               and not re.search(rf"finpolicy\.{re.escape(name)}\b", api)]
    assert not missing, f"docs/api.rst does not document {missing}"


def test_yaml_reference_lists_every_field_of_every_kind() -> None:
    from finpolicy.documents.registry import kinds

    registered = kinds()
    assert {"AccessPolicy", "SuitabilityPolicy"} <= set(registered)
    for kind in registered.values():
        (_, rows), *_ = docgen.schema_rows(kind.spec_model)
        assert [r[0] for r in rows] == list(kind.spec_model.model_fields), kind.name


def test_suitability_matrix_colours_every_cell_by_its_decision(
        cn_bundle: fp.Bundle) -> None:
    engine = fp.PolicyEngine(cn_bundle)
    for doc in cn_bundle.policies("SuitabilityPolicy"):
        markup = docgen.suitability_matrix(engine, doc)
        decisions = docgen.suitability_outcomes(engine, doc, "wealth_management")
        assert len(decisions) == len(doc.spec.customer_levels) * len(doc.spec.product_levels)
        for outcome in {d.outcome for d in decisions.values()}:
            assert docgen.COLOURS[outcome] in markup


def test_access_matrix_marks_cells_that_need_a_grant(cn_bundle: fp.Bundle) -> None:
    engine = fp.PolicyEngine(cn_bundle)
    for doc in cn_bundle.policies("AccessPolicy"):
        markup = docgen.access_matrix(engine, doc)
        assert "<b>grant</b>" in markup and "<b>allow</b>" in markup and "<b>deny</b>" in markup
        assert markup.count("<tr>") == len(doc.spec.roles) + 1


def test_timeline_shades_days_off_and_numbers_working_days_from_receipt() -> None:
    import datetime as dt

    from finpolicy.calendars import WorkingCalendar

    calendar = WorkingCalendar("CN", None, "Asia/Shanghai")
    start = dt.datetime(2025, 9, 26, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    due = calendar.end_of_day(calendar.add_working_days(dt.date(2025, 9, 26), 7))
    svg = docgen.timeline_svg(calendar, start, [("final_response", start, due, "7 working days")])
    # 09-27 (Saturday), National Day 10-01..10-08 and Sunday 10-12 are off; Sunday 09-28 and
    # Saturday 10-11 are working days (调休)
    assert svg.count('fill="#e0e0e0"') == 10
    labels = re.findall(r">(W\d+|off)</text>", svg)
    assert labels[:3] == ["W0", "off", "W1"]
    assert labels.index("W7") == (dt.date(2025, 10, 13) - dt.date(2025, 9, 26)).days


@pytest.mark.parametrize(("args", "message"), [
    (["-o", ""], "expected a folder, got an empty name"),
    (["-o", "file.txt/site"], "`file.txt/site` cannot be written: `file.txt` is not a folder"),
    # was a FileExistsError traceback after half a minute of building
    (["--pdf", "-o", "file.txt/x.pdf"], "`file.txt/x.pdf` cannot be written: `file.txt` is "
                                        "not a folder"),
    (["--pdf", "-o", "adir"], None),  # a folder for NAME-VERSION.pdf: fine
])
def test_an_output_that_cannot_be_written_is_refused_before_the_build(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
        message: str | None) -> None:
    import finpolicy.cli.docs as docs_cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("keep", encoding="utf-8")
    (tmp_path / "adir").mkdir()

    def build(*_args: object, **_kwargs: object) -> tuple[int, str]:
        return 0, ""

    monkeypatch.setattr(docs_cli, "build_pdf", build)
    monkeypatch.setattr(docs_cli, "build_site", build)
    result = CliRunner().invoke(main, ["docs", "cn-banking", *args])
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 3, result.output
    assert f"error: --output: {message}" in result.stderr
