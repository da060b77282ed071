"""Fixtures several unit test modules share."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def shipped_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site ``finpolicy docs`` builds for the shipped cn-banking pack (no pictures),
    built strictly: a warning fails it."""
    pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")
    import finpolicy as fp
    from finpolicy.docgen.site import build_site
    from finpolicy.documents.bundle import shipped_packs

    out = tmp_path_factory.mktemp("site")
    status, warnings = build_site(fp.load_bundle(shipped_packs() / "cn-banking"), out,
                                  pictures=False, strict=True)
    assert status == 0, warnings
    return out
