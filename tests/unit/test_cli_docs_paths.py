"""``finpolicy docs`` names the site or PDF it wrote as it is: an output folder such as
``site[/x]`` made the command crash with rich's MarkupError traceback after the whole build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from finpolicy.cli import common, docs, main


def _built(bundle: Any, out: Path, **options: Any) -> tuple[int, str]:
    out.parent.mkdir(parents=True, exist_ok=True)
    return 0, ""


@pytest.mark.parametrize(("args", "wrote"), [
    (["-o", "{tmp}/site[/x]"], "wrote {tmp}/site[/x]/index.html ("),
    (["--pdf", "-o", "{tmp}/print[/x].pdf"], "wrote {tmp}/print[/x].pdf (bundle digest"),
])
def test_docs_names_an_output_holding_markup_as_it_is(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      args: list[str], wrote: str) -> None:
    # the build itself (sphinx, seconds) is not what is checked
    monkeypatch.setattr(docs, "build_site", _built)
    monkeypatch.setattr(docs, "build_pdf", _built)
    monkeypatch.setattr(common.console, "width", 300)
    result = CliRunner().invoke(main, ["docs", "cn-banking",
                                       *[a.format(tmp=tmp_path) for a in args]])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0, result.output
    assert wrote.format(tmp=tmp_path) in result.output
