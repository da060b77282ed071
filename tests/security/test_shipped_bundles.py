"""A bundle travels to other processes (pickled, shipped to Spark executors) as the files
loading read: a pack that loads is one that ships, whatever links in it or the size of a file
within the limits."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import finpolicy as fp
from finpolicy.documents.bundle import shipped_packs
from finpolicy.documents.shipping import pack_bundle

CN = shipped_packs() / "cn-banking"


def test_a_pack_with_a_link_inside_it_ships_whole(tmp_path: Path) -> None:
    # the policy file is a link to a folder of the pack: loading follows it, shipping skipped
    # it, so the copy in the other process lacked the access policy and was refused
    pack = tmp_path / "pack"
    shutil.copytree(CN, pack)
    (pack / "sources").mkdir()
    (pack / "access.yaml").rename(pack / "sources" / "access.yaml")
    (pack / "access.yaml").symlink_to(Path("sources") / "access.yaml")
    bundle = fp.load_bundle(pack)
    copy = pickle.loads(pickle.dumps(bundle))
    assert copy.digest == bundle.digest and len(copy.documents) == len(bundle.documents)


def test_a_policy_file_of_several_mebibytes_ships(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(CN, pack)
    policy = pack / "consent.yaml"
    policy.write_text(policy.read_text(encoding="utf-8") + ("# " + "x" * 1022 + "\n") * 5000,
                      encoding="utf-8")  # 5 MiB of comment, within the 16 MiB of a policy file
    bundle = fp.load_bundle(pack)
    digest, files = pack_bundle(bundle)
    assert "consent.yaml" in files
    assert pickle.loads(pickle.dumps(bundle)).digest == digest


def test_only_what_loading_reads_is_shipped(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(CN, pack)
    (pack / "notes.txt").write_text("not a policy", encoding="utf-8")
    _, files = pack_bundle(fp.load_bundle(pack))
    assert "notes.txt" not in files and "bundle.yaml" in files
