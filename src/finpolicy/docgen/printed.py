"""The printable edition of a pack: one PDF for the binder a regulator receives
(``finpolicy docs PACK --pdf``).

The same Sphinx project as the site (``docgen.site``) is built as one HTML page with Sphinx's
plain theme, then set in A4 pages by WeasyPrint, which lays text out with Pango: Chinese text
is drawn with the system's CJK fonts (Debian's ``fonts-noto-cjk``). Every page's footer names
the bundle, its version and its full digest, and numbers the pages.
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
from pathlib import Path

from finpolicy.docgen.site import project_files, raise_first
from finpolicy.documents.bundle import Bundle
from finpolicy.errors import FinpolicyError
from finpolicy.outputs import writing

__all__ = ["PRINT_CSS", "build_pdf", "footer_css"]

PRINT_CSS = Path(__file__).resolve().parent / "static" / "finpolicy-print.css"


def _css_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def footer_css(bundle: Bundle) -> str:
    """The page footer of every page: bundle, version, digest, page n of m."""
    left = _css_text(f"{bundle.name} {bundle.version} · bundle digest {bundle.digest}")
    return (
        "@page { @bottom-left { content: \"" + left + "\"; font-family: monospace; "
        "font-size: 6.5pt; color: #333333 } "
        "@bottom-right { content: \"page \" counter(page) \" of \" counter(pages); "
        "font-family: sans-serif; font-size: 7pt; color: #333333 } }")


def build_pdf(bundle: Bundle, out: Path, *, pictures: bool = True, strict: bool = False
              ) -> tuple[int, str]:
    """Build the printable edition of ``bundle`` into the PDF file ``out``.

    Returns Sphinx's exit status and its warnings; no file is written when Sphinx fails.

    Raises:
        FinpolicyError: when Sphinx or WeasyPrint is not installed
            (``pip install 'finpolicy[pdf]'``).
        InputError: ``out`` cannot be written (``finpolicy.outputs``).
        DomainError: a domain's picture raised (naming the domain, the picture and the
            policy); nothing is written.
    """
    try:
        import weasyprint
        from sphinx.cmd.build import build_main

        from finpolicy.sphinx import domain_errors
    except ImportError as exc:
        raise FinpolicyError(f"the printable edition needs {exc.name}: "
                             "pip install 'finpolicy[pdf]'") from None

    with tempfile.TemporaryDirectory(prefix="finpolicy-pdf-") as tmp:
        source, html = Path(tmp) / "source", Path(tmp) / "html"
        for name, text in project_files(bundle, pictures=pictures, theme="basic",
                                              single_page=True).items():
            path = source / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        args = ["-b", "singlehtml", "-d", str(Path(tmp) / "doctrees"), "-E", "-q"]
        if strict:
            args += ["-W", "--keep-going"]
        warnings = io.StringIO()
        with contextlib.redirect_stderr(warnings), domain_errors() as failed:
            status = build_main([*args, str(source), str(html)])
        raise_first(failed)
        if status != 0:
            return status, warnings.getvalue()
        # WeasyPrint reports CSS it ignores (the screen theme's) through logging: not news
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        document = weasyprint.HTML(filename=str(html / "index.html"))
        with writing(out, binary=True) as stream:  # whole or not at all
            document.write_pdf(stream, stylesheets=[
                weasyprint.CSS(filename=str(PRINT_CSS)),
                weasyprint.CSS(string=footer_css(bundle))])
    return status, warnings.getvalue()
