"""A plug-in domain's picture that raises: ``finpolicy docs`` stops with an error naming the
domain, the picture and the policy (exit 2), not Sphinx's crash report ("please open an issue
at sphinx-doc") with a traceback; the pictures module raises a ``DomainError`` saying so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import pytest

pytest.importorskip("sphinx", reason="the docs tests need Sphinx: pip install '.[docs]'")

import finpolicy as fp
from finpolicy import docgen
from finpolicy.domains import registry
from finpolicy.domains.base import ChangePicture, DomainError, Picture
from tests.helpers.plugins import PLUGINS, install, run_python

HEAD = "def limit_table(runtime: Any, doc: Any) -> str:\n"


def test_docs_names_the_domain_picture_and_policy_of_a_raising_picture(
        tmp_path: Path) -> None:
    site = install(tmp_path / "site")
    init = site / "finpolicy_limits" / "__init__.py"
    text = init.read_text(encoding="utf-8")
    assert HEAD in text
    init.write_text(text.replace(HEAD, HEAD + '    raise KeyError("limits")\n'),
                    encoding="utf-8")
    out = tmp_path / "out"
    done = run_python(site, "-m", "finpolicy", "docs", str(PLUGINS / "limits-pack"),
                      "-o", str(out))
    assert done.returncode == 2, done.stdout + done.stderr
    assert ("error: domain `limits`: its picture `limit-table` raised KeyError on policy "
            "`toy-limits` 1.0.0 (limits.yaml): 'limits'") in done.stderr
    assert "sphinx-doc" not in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()  # nothing published


def _with_picture(monkeypatch: pytest.MonkeyPatch, render: Any) -> None:
    """The registered domains, the suitability domain's pictures replaced by one drawn by
    ``render``."""
    found = registry.domains()
    changed = tuple(attrs.evolve(d, pictures={kind: (Picture("bad-matrix", "Bad", render),)
                                              for kind in d.pictures})
                    if d.name == "suitability" else d for d in found)
    monkeypatch.setattr(registry, "domains", lambda: changed)


def test_a_picture_that_raises_is_a_domain_error_naming_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = fp.load_bundle()
    engine = fp.PolicyEngine(bundle)
    doc = bundle.policies("SuitabilityPolicy")[-1]

    def broken(runtime: Any, doc: Any) -> str:
        raise ZeroDivisionError("division by zero")

    _with_picture(monkeypatch, broken)
    with pytest.raises(DomainError) as raised:
        docgen.pictures(engine, doc)
    assert str(raised.value) == (
        f"domain `suitability`: its picture `bad-matrix` raised ZeroDivisionError on policy "
        f"`{doc.id}` {doc.version} ({Path(doc.file).name}): division by zero")
    with pytest.raises(DomainError, match="picture `bad-matrix` raised ZeroDivisionError"):
        docgen.picture("bad-matrix", engine, doc)


def test_a_picture_that_returns_no_text_is_a_domain_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = fp.load_bundle()
    doc = bundle.policies("SuitabilityPolicy")[-1]
    _with_picture(monkeypatch, lambda runtime, doc: None)
    with pytest.raises(DomainError, match="its picture `bad-matrix` returned a NoneType for "
                                          f"policy `{doc.id}`.*expected its HTML as text"):
        docgen.pictures(fp.PolicyEngine(bundle), doc)


def test_a_sphinx_project_of_ones_own_reports_it_as_the_directives_error(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
        ) -> None:
    from sphinx.cmd.build import build_main

    from finpolicy.sphinx import domain_errors

    def broken(runtime: Any, doc: Any) -> str:
        raise ValueError("no grid")

    _with_picture(monkeypatch, broken)
    source = tmp_path / "source"
    source.mkdir()
    (source / "conf.py").write_text('extensions = ["finpolicy.sphinx"]\n', encoding="utf-8")
    (source / "index.rst").write_text("Suitability\n===========\n\n"
                                      ".. finpolicy:picture:: bad-matrix\n", encoding="utf-8")
    with domain_errors() as failed:
        status = build_main(["-b", "html", "-q", "-E", str(source), str(tmp_path / "html")])
    err = capsys.readouterr().err
    assert status == 0 and "sphinx-doc" not in err, err  # was a crash, status 2
    assert "finpolicy:picture: domain `suitability`: its picture `bad-matrix` raised " \
           "ValueError on policy" in err
    assert [str(e).endswith(": no grid") for e in failed] == [True]


def test_the_printable_edition_stops_with_the_same_error(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("weasyprint", reason="the printable edition needs WeasyPrint")
    from click.testing import CliRunner

    from finpolicy.cli import main

    def broken(runtime: Any, doc: Any) -> str:
        raise IndexError("list index out of range")

    _with_picture(monkeypatch, broken)
    out = tmp_path / "binder.pdf"
    done = CliRunner().invoke(main, ["docs", "cn-banking", "--pdf", "-o", str(out)])
    assert done.exit_code == 2, done.output
    assert "error: domain `suitability`: its picture `bad-matrix` raised IndexError on " \
           "policy `cn-suitability`" in done.output
    assert "sphinx-doc" not in done.output and not out.exists()


def test_a_picture_of_changed_decisions_that_raises_names_both_versions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = fp.load_bundle()
    old, new = next((a, b) for a, b in docgen.version_pairs(bundle)
                    if a.kind == "SuitabilityPolicy")

    def broken(runtime: Any, old: Any, new: Any) -> str:
        raise RuntimeError("no grid")

    found = registry.domains()
    changed = tuple(attrs.evolve(d, changes={k: ChangePicture("Changed", broken)
                                             for k in d.changes})
                    if d.name == "suitability" else d for d in found)
    monkeypatch.setattr(registry, "domains", lambda: changed)
    with pytest.raises(DomainError) as raised:
        docgen.decision_changes(fp.PolicyEngine(bundle), old, new)
    assert str(raised.value).startswith(
        f"domain `suitability`: its picture of changed decisions `Changed` (from "
        f"{old.version}) raised RuntimeError on policy `{new.id}` {new.version}")
