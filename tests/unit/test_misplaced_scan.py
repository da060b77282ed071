"""Loading looks for policy documents misplaced in a pack's folders (``policies/access.yaml``),
which it would skip. It read up to 64 KB of every YAML file four levels down, so a pack inside
a large repository (20,000 unrelated YAML files under its folder) took seconds to load. Now it
reads the head of a file only, the shallowest folders first, at most ``SCAN_LIMITS`` files and
entries, and says when a limit stopped it; other tools' folders are not searched."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import finpolicy.documents.packpaths as packpaths
from finpolicy.documents.bundle import load_bundle, shipped_packs
from finpolicy.errors import PolicyError

_JUNK = "apiVersion: v1\nkind: ConfigMap\ndata:\n  key: value\n"


def _pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(shipped_packs() / "cn-banking", pack)
    return pack


def _misplaced(pack: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_bundle(pack)
    assert {p.code for p in caught.value.problems} == {"misplaced_document"}
    return sorted(Path(p.file).relative_to(pack).as_posix() for p in caught.value.problems)


def _read_files(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files that will be opened for reading (every read goes through ``Path.open``)."""
    opened: list[Path] = []
    real = Path.open

    def counting(self: Path, *args: object, **kwargs: object) -> object:
        opened.append(self)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", counting)
    return opened


def test_unrelated_yaml_files_under_a_pack_are_read_only_to_a_limit_and_it_is_said(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _pack(tmp_path)
    data = pack / "data"
    data.mkdir()
    for n in range(120):
        (data / f"f{n:03}.yaml").write_text(_JUNK, encoding="utf-8")
    # the real mistake, beside them: a document with 6 KB of comments above its envelope
    (pack / "policies").mkdir()
    shutil.move(pack / "consent.yaml", pack / "policies" / "consent.yaml")
    opened = _read_files(monkeypatch)
    with pytest.warns(packpaths.ScanLimitWarning) as notice:
        assert _misplaced(pack) == ["policies/consent.yaml"]
    assert len([p for p in opened if p.parent == data]) == \
        packpaths.SCAN_LIMITS["files_per_folder"] == 50
    assert str(notice[0].message) == (
        f"{pack}: not every YAML file in the folders of the pack was looked at for a policy "
        "document that loading would skip (at most 50 of one folder): such a document among "
        "the files not looked at goes unreported. Keep unrelated files out of the pack's "
        "folder (hidden folders and node_modules are not searched)")


def test_the_shallowest_folders_are_searched_first_so_a_limit_spares_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _pack(tmp_path)
    for d in range(5):
        deep = pack / "deploy" / f"svc{d}" / "k8s"
        deep.mkdir(parents=True)
        for n in range(5):
            (deep / f"f{n}.yaml").write_text(_JUNK, encoding="utf-8")
    (pack / "policies").mkdir()
    shutil.move(pack / "access.yaml", pack / "policies" / "access.yaml")
    monkeypatch.setitem(packpaths.SCAN_LIMITS, "files", 20)
    opened = _read_files(monkeypatch)
    with pytest.warns(packpaths.ScanLimitWarning, match=r"it reads at most 20 YAML files\)"):
        assert _misplaced(pack) == ["policies/access.yaml"]
    # the pack's own tests/ and examples/ and policies/ first, then deploy/ up to the limit
    own = len([*(pack / "tests").glob("*.yaml"), *(pack / "examples").glob("*.yaml")])
    assert len([p for p in opened if "deploy" in p.parts]) == 20 - own - 1


def test_a_limit_of_folder_entries_stops_the_listing_and_it_is_said(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = _pack(tmp_path)
    (pack / "assets").mkdir()
    for n in range(40):
        (pack / "assets" / f"{n}.png").write_bytes(b"")
    monkeypatch.setitem(packpaths.SCAN_LIMITS, "entries", 30)
    with pytest.warns(packpaths.ScanLimitWarning,
                      match=r"it lists at most 30 folder entries\)"):
        assert len(load_bundle(pack).policies()) == \
            len(load_bundle(shipped_packs() / "cn-banking").policies())


def test_other_tools_folders_are_not_searched(tmp_path: Path) -> None:
    """A policy document a package manager put in ``node_modules`` is none of the pack's."""
    pack = _pack(tmp_path)
    for tool in ("node_modules/some-package", "__pycache__", "lib/site-packages/mod"):
        (pack / tool).mkdir(parents=True)
        shutil.copy(pack / "access.yaml", pack / tool / "access.yaml")
    (pack / "policies").mkdir()
    shutil.copy(pack / "access.yaml", pack / "policies" / "access.yaml")
    assert _misplaced(pack) == ["policies/access.yaml"]


def test_a_file_is_read_up_to_its_first_key_no_policy_document_starts_with(
        tmp_path: Path) -> None:
    """A policy document starts with its envelope (after comments, directives and ``---``);
    a file whose first key is another is no policy document, and is read no further."""
    heads = {"commented.yaml": "# a comment\n\n%YAML 1.2\n---\napiVersion: finpolicy/v1\n",
             "kind-first.yaml": "kind: Access\nmetadata:\n  name: x\napiVersion: 'finpolicy/v1'\n",
             "other-api.yaml": "apiVersion: v1\nkind: Pod\n---\napiVersion: finpolicy/v1\n",
             "other-key.yaml": "name: x\napiVersion: finpolicy/v1\n" + "y: z\n" * 100000,
             "list.yml": "- apiVersion: finpolicy/v1\n", "empty.yaml": ""}
    (tmp_path / "drafts").mkdir()
    for name, head in heads.items():
        (tmp_path / "drafts" / name).write_text(head, encoding="utf-8")
    found = packpaths.misplaced_documents(tmp_path)
    assert sorted((p.name, line) for p, line in found) == [("commented.yaml", 5),
                                                          ("kind-first.yaml", 4)]
