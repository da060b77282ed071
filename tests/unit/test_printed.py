"""The printable edition (``finpolicy docs PACK --pdf``): every page renders and carries the
bundle digest, Chinese text is set in a CJK font, and the pictures keep their colours."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

import finpolicy as fp
from finpolicy import docgen
from finpolicy.cli import main
from finpolicy.documents.bundle import shipped_packs
from tests.helpers.png import png_colours
from tests.helpers.tools import require_module, require_program

pytestmark = pytest.mark.slow  # WeasyPrint sets about forty pages in some twenty seconds

CN = shipped_packs() / "cn-banking"


@pytest.fixture(scope="module")
def cn_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_module("weasyprint", "pdf")
    out = tmp_path_factory.mktemp("printed") / "cn.pdf"
    result = CliRunner().invoke(main, ["docs", str(CN), "--pdf", "-o", str(out), "--strict"])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    return out


def _pages(pdf: Path) -> int:
    info = subprocess.run([require_program("pdfinfo", "poppler-utils"), str(pdf)],
                          capture_output=True, text=True, check=True).stdout
    found = re.search(r"^Pages:\s+(\d+)$", info, re.M)
    assert found, info
    return int(found.group(1))


def _text(pdf: Path, page: int) -> str:
    return subprocess.run([require_program("pdftotext", "poppler-utils"), "-f", str(page),
                           "-l", str(page), "-layout", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout


def _png(pdf: Path, page: int, out: Path) -> bytes:
    subprocess.run([require_program("pdftoppm", "poppler-utils"), "-f", str(page), "-l",
                    str(page), "-r", "60", "-png", "-singlefile", str(pdf), str(out)],
                   check=True)
    return out.with_suffix(".png").read_bytes()


def test_every_page_carries_the_bundle_digest_and_its_number(cn_pdf: Path) -> None:
    bundle = fp.load_bundle(CN)
    pages = _pages(cn_pdf)
    assert pages > 10  # five documents, every rule in words
    for page in range(1, pages + 1):
        text = _text(cn_pdf, page)
        assert f"bundle digest {bundle.digest}" in text, f"page {page} lacks the digest"
        assert f"page {page} of {pages}" in text


def test_pages_render_with_the_pictures_colours(cn_pdf: Path, tmp_path: Path) -> None:
    pages = _pages(cn_pdf)
    first = _png(cn_pdf, 1, tmp_path / "first")
    assert len(png_colours(first)) > 8, "the first page renders (nearly) blank"
    matrix = next(p for p in range(1, pages + 1) if "Access matrix of" in _text(cn_pdf, p))
    colours = png_colours(_png(cn_pdf, matrix, tmp_path / "matrix"))
    for outcome in ("allow", "grant", "deny"):
        assert bytes.fromhex(docgen.COLOURS[outcome].lstrip("#")) in colours, outcome


def test_chinese_text_is_set_in_a_cjk_font(cn_pdf: Path) -> None:
    fonts = subprocess.run([require_program("pdffonts", "poppler-utils"), str(cn_pdf)],
                           capture_output=True, text=True, check=True).stdout
    assert re.search(r"CJK", fonts), fonts
    assert "数据安全法" in _text(cn_pdf, 1)  # the pack's description, as text


def test_without_weasyprint_the_message_names_the_extra(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    import builtins

    real = builtins.__import__

    def no_weasyprint(name: str, *args: object, **kwargs: object) -> object:
        if name == "weasyprint":
            raise ImportError("No module named 'weasyprint'", name="weasyprint")
        return real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    result = CliRunner().invoke(main, ["docs", str(CN), "--pdf", "-o", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1
    assert "needs weasyprint: pip install 'finpolicy[pdf]'" in result.output
    assert not (tmp_path / "x.pdf").exists()
