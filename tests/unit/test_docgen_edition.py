"""Each policy page names the bundle release it shows (name, version, digest), so a page
printed or saved on its own still says which policy text it is."""

from __future__ import annotations

import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")

import finpolicy as fp
from finpolicy.docgen.site import project_files, rst_escape
from finpolicy.documents.bundle import shipped_packs


@pytest.mark.parametrize("pack", ["cn-banking", "uk-fca"])
def test_every_policy_page_names_its_bundle_and_digest(pack: str) -> None:
    bundle = fp.load_bundle(shipped_packs() / pack)
    files = project_files(bundle)
    pages = {name: text for name, text in files.items() if name.startswith("policies/")}
    assert pages
    line = (f"From bundle {rst_escape(bundle.name)} {rst_escape(bundle.version)}, digest "
            f"``{bundle.digest}``.")
    for name, text in pages.items():
        head, _, _ = text.partition(".. finpolicy:policy::")
        assert line in head, name


def test_the_index_shows_the_vocabulary_every_policy_shares_with_its_citation() -> None:
    bundle = fp.load_bundle(shipped_packs() / "cn-banking")
    index = project_files(bundle)["index.rst"]
    kinds = bundle.manifest.vocabulary["product_kinds"]
    line = next(x for x in index.splitlines() if x.startswith("* ``product_kinds``"))
    assert "(for ``product.kind``)" in line
    assert all(f"``{term}``" in line for term in kinds.terms)
    assert f"Cite: {rst_escape(kinds.cite)}" in line
