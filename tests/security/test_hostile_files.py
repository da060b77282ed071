"""The CLI and files: hostile git revisions, SQLite file names, output folders, complaint ids,
links in packs, source URLs and bad input files end in a clean error or a correct result,
never a traceback, a file written elsewhere, or a command run."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finpolicy as fp
from finpolicy.cli import main
from finpolicy.docgen.output import MARKER, file_name, write_file
from finpolicy.documents.bundle import shipped_packs
from finpolicy.documents.git import extract_git, parse_git_spec
from finpolicy.domains.classification.scanning import sqlite_uri
from tests.security.attacks import URI_SPECIALS, hostile_ids, hostile_revisions

AT = "2026-03-02T10:00:00+08:00"
CN = shipped_packs() / "cn-banking"
FIXTURES = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
# each example of these runs the whole CLI (a bundle load and compile)
CLI_RUNS = settings(max_examples=12, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
_RUN = iter(range(10 ** 9))


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"foreign exception from {args}") from result.exception
    return result


# --- git:REV:PATH -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    (root / "pack").mkdir()
    for name in ("bundle.yaml", "access.yaml"):
        (root / "pack" / name).write_bytes((CN / name).read_bytes())
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "."], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "pack"], cwd=root, check=True)
    return root


@settings(max_examples=200, deadline=None)
@given(hostile_revisions())
def test_a_revision_that_could_be_an_option_is_refused_before_git_runs(rev: str) -> None:
    with pytest.raises(fp.InputError) as caught:
        parse_git_spec(f"git:{rev}:pack")
    assert caught.value.problems[0].code == "bad_option"


@CLI_RUNS
@given(hostile_revisions())
def test_hostile_revisions_through_diff_write_nothing_and_exit_3(
        repo: Path, monkeypatch: pytest.MonkeyPatch, rev: str) -> None:
    monkeypatch.chdir(repo)
    before = sorted(p.name for p in repo.iterdir())
    result = invoke("diff", f"git:{rev.replace('OUT', str(repo / 'out'))}:pack", "pack")
    assert result.exit_code == 3, result.output
    assert sorted(p.name for p in repo.iterdir()) == before
    with pytest.raises(fp.InputError):
        extract_git(rev, "pack", repo / "into", cwd=repo)
    assert not (repo / "into").exists()


@CLI_RUNS
@given(st.text(st.characters(codec="ascii", blacklist_characters=":-",
                             blacklist_categories=("Cc", "Zs")), min_size=1, max_size=12))
def test_a_revision_git_cannot_verify_is_an_input_error(
        repo: Path, monkeypatch: pytest.MonkeyPatch, rev: str) -> None:
    monkeypatch.chdir(repo)
    result = invoke("diff", f"git:{rev}:pack", "pack")
    if rev in ("HEAD", "@", "master", "main") or rev.startswith(("HEAD", "@")):
        assert result.exit_code in (0, 1, 3)  # a real revision, or an expression around it
    else:
        assert result.exit_code == 3, result.output


def test_a_path_outside_the_repository_is_refused(repo: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    assert invoke("diff", "git:HEAD:../..", "pack").exit_code == 3


# --- scan of SQLite ------------------------------------------------------------------------

def _database(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE people (name TEXT, id_number TEXT)")
        conn.execute("INSERT INTO people VALUES ('张三', '11010519491231002X')")
    conn.close()


@FIXTURES
@given(st.text(st.sampled_from(URI_SPECIALS + "ab"), min_size=1, max_size=12))
def test_sqlite_file_names_cannot_change_how_the_file_is_opened(
        tmp_path: Path, engine: fp.PolicyEngine, name: str) -> None:
    folder = tmp_path / f"f{next(_RUN)}"
    folder.mkdir()
    path = folder / f"x{name}.db"
    _database(path)
    data = path.read_bytes()
    report = engine.scan("sqlite:///" + sqlite_url_path(path) + "?table=people")
    assert report.rows == 1 and report["id_number"].level is fp.DataLevel.CORE
    assert path.read_bytes() == data  # opened read-only: nothing written
    assert sorted(p.name for p in folder.iterdir()) == [path.name]
    assert sqlite_uri(path).endswith("?mode=ro") and sqlite_uri(path).count("?") == 1


def sqlite_url_path(path: Path) -> str:
    from urllib.parse import quote

    return quote(str(path), safe="/")


def test_a_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    target = tmp_path / "new.db?mode=rwc"
    result = invoke("scan", f"sqlite:///{tmp_path}/new.db%3Fmode=rwc?table=t")
    assert result.exit_code == 3
    assert not target.exists() and list(tmp_path.iterdir()) == []


# --- docs -o --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pack = tmp_path_factory.mktemp("tiny") / "pack"
    pack.mkdir()
    (pack / "bundle.yaml").write_bytes((CN / "bundle.yaml").read_bytes())
    text = (CN / "access.yaml").read_text(encoding="utf-8")
    hostile = text.replace("    - id: seed-000\n", "    - id: seed-000\n"
                           "      url: \"javascript:alert('x')\"\n", 1)
    assert hostile != text
    (pack / "access.yaml").write_text(hostile, encoding="utf-8")
    return pack


def test_docs_refuse_a_folder_holding_other_files_and_links(tiny_pack: Path,
                                                            tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.txt").write_text("precious", encoding="utf-8")
    result = invoke("docs", str(tiny_pack), "-o", str(foreign))
    assert result.exit_code == 3 and "did not write" in result.output
    assert [p.name for p in foreign.iterdir()] == ["thesis.txt"]
    link = tmp_path / "link"
    link.symlink_to(foreign, target_is_directory=True)
    assert invoke("docs", str(tiny_pack), "-o", str(link)).exit_code == 3
    file = tmp_path / "file"
    file.write_text("x", encoding="utf-8")
    result = invoke("docs", str(tiny_pack), "-o", str(file))
    assert result.exit_code == 3 and "expected a folder" in result.output
    assert file.read_text(encoding="utf-8") == "x"


def test_docs_replace_their_own_site_without_following_links_in_it(
        tiny_pack: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert invoke("docs", str(tiny_pack), "-o", str(out)).exit_code == 0
    assert (out / MARKER).is_file() and (out / "index.html").is_file()
    page = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*.html"))
    assert "javascript:alert" in page and 'href="javascript:' not in page
    victim = tmp_path / "victim.html"
    victim.write_text("keep", encoding="utf-8")
    (out / "index.html").unlink()
    (out / "index.html").symlink_to(victim)
    assert invoke("docs", str(tiny_pack), "-o", str(out)).exit_code == 0
    assert victim.read_text(encoding="utf-8") == "keep"
    assert not (out / "index.html").is_symlink()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".finpolicy-site-")]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=50).filter(lambda u: not u.strip().lower().startswith(
    ("http://", "https://"))))
def test_only_web_addresses_become_links(url: str) -> None:
    from docutils import nodes

    from finpolicy.docgen.doctree import source_link, web_url

    assert not web_url(url)
    assert not isinstance(source_link(url), nodes.reference)
    for scheme in ("javascript", "data", "file", "vbscript", "JaVaScRiPt", " javascript"):
        assert not isinstance(source_link(f"{scheme}:{url}"), nodes.reference)
    assert isinstance(source_link("https://www.gov.cn/x?y=1"), nodes.reference)


# --- sla --timeline ---------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(hostile_ids)
def test_a_file_name_made_from_an_id_stays_in_its_folder(ident: str) -> None:
    name = file_name(ident, ".svg")
    folder = Path("/srv/out")
    assert Path(name).name == name and name.endswith(".svg")
    assert not name.startswith(".") and "/" not in name and "\\" not in name
    assert (folder / name).parent == folder and len(name) <= 104


@CLI_RUNS
@given(hostile_ids.filter(lambda i: i.strip() and "\x00" not in i and "\r" not in i))
def test_sla_timeline_writes_only_inside_the_output_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ident: str) -> None:
    """(Each example runs the CLI twice; the file-name property above takes the breadth.)"""
    work = tmp_path / f"w{next(_RUN)}"
    (work / "out").mkdir(parents=True)
    complaint = {"id": ident, "received_at": "2025-09-26T16:59:00+08:00",
                 "channel": "phone", "category": "service"}
    data = work / "c.jsonl"
    data.write_text(json.dumps(complaint) + "\n", encoding="utf-8")
    monkeypatch.chdir(work)
    before = set(tmp_path.rglob("*"))
    for extra in ([], ["-o", "out"]):
        result = invoke("sla", str(data), "--as-of", "2025-10-10T09:00+08:00",
                        "--timeline", ident, *extra)
        if result.exit_code == 3:  # an id the model refuses (too long, say)
            continue
        assert result.exit_code == 0, result.output
    new = set(tmp_path.rglob("*")) - before
    assert all(p.parent in (work, work / "out") and p.suffix == ".svg" for p in new), new


def test_timelines_and_other_files_are_never_written_through_links(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep", encoding="utf-8")
    link = tmp_path / "a1.svg"
    link.symlink_to(victim)
    with pytest.raises(fp.InputError) as caught:
        write_file(link, "<svg/>")
    assert caught.value.problems[0].code == "unsafe_path"
    assert victim.read_text(encoding="utf-8") == "keep"


# --- packs ------------------------------------------------------------------------------------

def test_a_link_out_of_a_pack_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n", encoding="utf-8")
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "bundle.yaml").write_bytes((CN / "bundle.yaml").read_bytes())
    (pack / "access.yaml").write_bytes((CN / "access.yaml").read_bytes())
    for where in (pack / "secret.yaml", pack / "tests"):
        (pack / "tests").mkdir(exist_ok=True)
        target = pack / "tests" / "case.yaml" if where.name == "tests" else where
        target.symlink_to(secret)
        with pytest.raises(fp.PolicyError) as caught:
            fp.load_bundle(pack)
        assert [p.code for p in caught.value.problems] == ["link_outside_pack"]
        assert invoke("validate", str(pack)).exit_code == 2
        target.unlink()
    (pack / "inner.yaml").symlink_to(pack / "access.yaml")  # a link inside the pack is fine
    with pytest.raises(fp.PolicyError) as inner:
        fp.load_bundle(pack)  # (two documents of one version: refused for that reason)
    assert "link_outside_pack" not in {p.code for p in inner.value.problems}


@pytest.mark.parametrize("where", ["loop.yaml", "tests/loop.yaml"])
def test_a_loop_of_links_in_a_pack_is_an_invalid_pack_naming_the_file(tmp_path: Path,
                                                                      where: str) -> None:
    """It was a RuntimeError traceback (Symlink loop) from every command loading the pack."""
    pack = tmp_path / "pack"
    shutil.copytree(CN, pack)
    (pack / where).symlink_to(Path(where).name)
    with pytest.raises(fp.PolicyError) as caught:
        fp.load_bundle(pack)
    assert [p.code for p in caught.value.problems] == ["link_loop"]
    example = tmp_path / "in.yaml"
    example.write_text("{field: {name: phone}}\n", encoding="utf-8")
    for args in (["validate", str(pack)], ["lint", str(pack)], ["test", str(pack)],
                 ["eval", "classification", str(example), "-b", str(pack)],
                 ["demo", "-b", str(pack)], ["diff", str(CN), str(pack)],
                 ["bundle", "lock", str(pack)], ["bundle", "verify", str(pack)]):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert f"{pack / where}: a symbolic link that leads back to itself" in result.output


def test_a_local_folder_never_shadows_a_shipped_pack(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "uk-fca").mkdir()
    with pytest.raises(fp.PolicyError) as caught:
        fp.load_bundle("uk-fca")
    assert caught.value.problems[0].code == "ambiguous_bundle"
    assert invoke("validate", "uk-fca").exit_code == 3  # invalid input: the name is ambiguous
    with pytest.raises(fp.PolicyError) as local:
        fp.load_bundle("./uk-fca")
    assert local.value.problems[0].code == "empty_bundle" or local.value.problems
    (tmp_path / "uk-fca").rmdir()
    assert fp.load_bundle("uk-fca").name == "uk-fca"


# --- input files: exit 3 with a message, never a traceback ------------------------------------

def _write(path: Path, data: str | bytes) -> str:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return str(path)


_COMPLAINT = {"id": "c1", "received_at": "2026-01-05T10:00:00+08:00", "channel": "phone",
              "category": "product"}
_BAD_FILES: list[tuple[str, str, str | bytes, list[str]]] = [
    ("eval-non-utf8", "in.json", b"\xff\xfe{}", ["eval", "access"]),
    ("eval-non-utf8-yaml", "in.yaml", b"a: \xff\xfe", ["eval", "access"]),
    ("eval-deep-json", "in.json", "[" * 50_000 + "]" * 50_000, ["eval", "access"]),
    ("eval-deep-yaml", "in.yaml", "[" * 50_000 + "]" * 50_000, ["eval", "suitability"]),
    ("eval-deep-block-yaml", "in.yaml", "".join("  " * i + "a:\n" for i in range(2000)),
     ["eval", "classification"]),
    ("eval-5000-digits", "in.json", '{"customer": {"id": "c", "investable_assets": '
     + "9" * 5000 + "}}", ["eval", "suitability"]),
    ("eval-400-digits", "in.json", json.dumps({"customer": {"id": "c",
                                                            "investable_assets": 10 ** 400},
                                               "product": {"id": "p", "kind": "fund",
                                                           "risk_level": "R1"}}),
     ["eval", "suitability"]),
    ("eval-400-digit-amount", "in.json", json.dumps({
        "customer": {"id": "c"}, "product": {"id": "p", "kind": "fund", "risk_level": "R1"},
        "amount": 10 ** 400}), ["eval", "suitability"]),
    ("eval-year-9999", "in.json", json.dumps({"complaint": _COMPLAINT | {
        "received_at": "9999-12-31T10:00:00+08:00"}, "as_of": AT}), ["eval", "complaints"]),
    ("sla-year-9999", "c.jsonl", json.dumps(_COMPLAINT | {
        "received_at": "9999-12-31T10:00:00+08:00"}) + "\n", ["sla", "--as-of", AT]),
    ("sla-csv-big-cell", "c.csv", "id,received_at,channel,category\n" + "x" * 200_000
     + ",2026-01-05T10:00:00+08:00,phone,product\n", ["sla", "--as-of", AT]),
    ("sla-deep-jsonl", "c.jsonl", "[" * 50_000 + "]" * 50_000 + "\n", ["sla", "--as-of", AT]),
    ("sla-non-utf8-csv", "c.csv", b"id,received_at\n\xff,1\n", ["sla", "--as-of", AT]),
    ("suitability-big-cell", "s.csv", "customer.id,product.id\n" + "x" * 200_000 + ",p\n",
     ["suitability"]),
    ("suitability-huge-amount", "s.csv", "customer.id,product.id,product.kind,"
     "product.risk_level,amount\nc,p,fund,R1," + "9" * 400 + "\n", ["suitability"]),
    ("review-deep-json", "r.json", "[" * 50_000 + "]" * 50_000, ["review"]),
    ("review-5000-digits", "r.jsonl", "9" * 5000 + "\n", ["review"]),
    ("review-non-utf8", "r.jsonl", b"\xff\n", ["review"]),
    ("scan-big-cell", "t.csv", "a,b\n" + "x" * 200_000 + ",p\n", ["scan"]),
    ("scan-non-utf8", "t.csv", b"a,b\n\xff\xfe,1\n", ["scan"]),
    ("scan-junk-parquet", "t.parquet", b"PAR1 not really PAR1", ["scan"]),
]


@pytest.mark.parametrize(("name", "file", "data", "command"), _BAD_FILES,
                         ids=[case[0] for case in _BAD_FILES])
def test_a_bad_input_file_exits_3_with_a_message(tmp_path: Path, name: str, file: str,
                                                 data: str | bytes, command: list[str]) -> None:
    path = _write(tmp_path / file, data)
    args = [*command[:1], *command[1:2], path, *command[2:]] if command[0] == "eval" \
        else [command[0], path, *command[1:]]
    result = invoke(*args)
    assert result.exit_code == 3, result.output
    assert "error" in result.output and "Traceback" not in result.output


def test_parquet_values_python_cannot_hold_are_scanned(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table({
        "ts": pa.array([2 ** 62, -(2 ** 62)], type=pa.timestamp("ns")),
        "d64": pa.array([2 ** 62, 0], type=pa.date64()),
        "dur": pa.array([2 ** 62, 1], type=pa.duration("ns")),
        "id_number": pa.array(["11010519491231002X", "11010519491231002X"])})
    pq.write_table(table, tmp_path / "t.parquet")
    result = invoke("scan", str(tmp_path / "t.parquet"), "--json")
    assert result.exit_code == 0, result.output
    columns = {c["column"]: c for c in json.loads(result.output)["columns"]}
    assert columns["id_number"]["level"] == "core" and len(columns) == 4



def test_an_output_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    from finpolicy.outputs import writing

    out = tmp_path / "out.txt"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o600)
    with pytest.raises(RuntimeError), writing(out) as stream:
        stream.write("half")
        raise RuntimeError("failed half way")
    assert out.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary file left
    with writing(out) as stream:
        stream.write("new")
    assert out.read_text(encoding="utf-8") == "new" and out.stat().st_mode & 0o777 == 0o600
