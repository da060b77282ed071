"""A pack's bundle.lock and bundle.sig are read before its signature is checked, so a pack no
one signed must not be able to make the loader (or the service, at reload) wait forever or
read gigabytes through them."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
from pathlib import Path

import pytest

import finpolicy as fp
from finpolicy.documents.lock import LOCK_FILE
from finpolicy.documents.pins import verify_bundle
from finpolicy.documents.signing import SIGNATURE_FILE
from finpolicy.limits import MAX_PIN_FILE_BYTES

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and sparse files")


def _pack(tmp_path: Path, bundle: fp.Bundle) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(bundle.root, pack, ignore=shutil.ignore_patterns("examples", "tests"))
    return pack


def _problems(pack: Path, queue: multiprocessing.Queue[list[tuple[str, str]]]) -> None:
    try:
        fp.load_bundle(pack, trusted_keys=[fp_key()])
        queue.put([])
    except fp.PolicyError as exc:
        queue.put([(p.code, p.message) for p in exc.problems])


def fp_key() -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return Ed25519PrivateKey.generate().public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def _load_within(pack: Path, seconds: float = 60.0) -> list[tuple[str, str]]:
    """The problems ``load_bundle(pack, trusted_keys=...)`` raises, run in a child process
    that is killed if it does not answer in time (a read that never ends)."""
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[list[tuple[str, str]]] = context.Queue()
    child = context.Process(target=_problems, args=(pack, queue))
    child.start()
    child.join(seconds)
    if child.is_alive():
        child.kill()
        child.join()
        raise AssertionError(f"loading {pack} did not end within {seconds} s")
    return queue.get(timeout=5)


@pytest.mark.parametrize("name", [LOCK_FILE, SIGNATURE_FILE])
def test_a_fifo_as_lock_or_signature_file_is_refused_not_waited_on(
        tmp_path: Path, bundle: fp.Bundle, name: str) -> None:
    """`mkfifo bundle.lock` in a deployed folder hung the loader for ever on its read (with
    trusted keys, and `bundle verify`): the service's watcher thread stopped reloading, and
    stopping the service waited for it."""
    pack = _pack(tmp_path, bundle)
    (pack / name).unlink(missing_ok=True)
    os.mkfifo(pack / name)
    problems = _load_within(pack)
    code = "bad_lock" if name == LOCK_FILE else "bad_signature"
    assert (code, f"unreadable {'lock' if name == LOCK_FILE else 'signature'} file: not a "
                  "regular file") in problems, problems


@pytest.mark.parametrize("name", [LOCK_FILE, SIGNATURE_FILE])
def test_a_lock_or_signature_file_over_the_limit_is_refused_unread(
        tmp_path: Path, bundle: fp.Bundle, name: str) -> None:
    """A sparse bundle.lock of 2 GiB (no disk space taken) was read whole: 4.1 GiB of memory
    and 13 s per load, and a larger one ended the service at its next reload."""
    pack = _pack(tmp_path, bundle)
    with (pack / name).open("wb") as handle:
        handle.truncate(64 * MAX_PIN_FILE_BYTES)  # 1 GiB, sparse
    problems = _load_within(pack)
    assert any(message.endswith(f"larger than {MAX_PIN_FILE_BYTES // 2**20} MiB")
               for _, message in problems), problems


def test_a_lock_nested_too_deep_is_a_bad_lock(tmp_path: Path, bundle: fp.Bundle) -> None:
    """A bundle.lock of 100,000 `[` was a RecursionError out of load_bundle (a traceback
    from the command line), not a problem naming the file."""
    pack = _pack(tmp_path, bundle)
    (pack / LOCK_FILE).write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(fp.PolicyError) as caught:
        fp.load_bundle(pack)
    assert [(p.code, p.message) for p in caught.value.problems] == [
        ("bad_lock", "unreadable lock file: nested too deep")]
    assert not verify_bundle(pack).ok


def test_a_signature_file_of_more_signatures_than_keys_sign_is_refused(
        tmp_path: Path, bundle: fp.Bundle) -> None:
    """15,000 copies of one trusted signature (15 MiB) were each verified at every load: 4 s
    (2.3 s of them before the policy files were read, at each reload of the service)."""
    import json

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from finpolicy.documents.signing import sign_bundle
    from finpolicy.limits import MAX_SIGNATURES

    pack = _pack(tmp_path, bundle)
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    sign_bundle(fp.load_bundle(pack), key)
    data = json.loads((pack / SIGNATURE_FILE).read_text(encoding="utf-8"))
    one = data["signatures"][0]
    for count, refused in ((MAX_SIGNATURES, False), (MAX_SIGNATURES + 1, True)):
        data["signatures"] = [one] * count
        (pack / SIGNATURE_FILE).write_text(json.dumps(data), encoding="utf-8")
        if not refused:
            assert fp.load_bundle(pack, trusted_keys=[public]).digest == bundle.digest
            continue
        with pytest.raises(fp.PolicyError) as caught:
            fp.load_bundle(pack, trusted_keys=[public])
        assert [(p.code, p.path) for p in caught.value.problems] == [
            ("bad_signature", "signatures")], caught.value
        assert f"at most {MAX_SIGNATURES}" in str(caught.value)


def test_locking_and_signing_never_write_through_a_link_planted_in_the_pack(
        tmp_path: Path, bundle: fp.Bundle) -> None:
    """bundle lock and bundle sign wrote the new file to `.bundle.lock.<pid>.tmp` (and
    `.bundle.sig.<pid>.tmp`) in the pack, following whatever was there: a link planted under
    that name once the pack was checked had the signer overwrite the file it led to (with
    the signer's rights), and left bundle.lock a link to it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from finpolicy.documents.lock import write_lock
    from finpolicy.documents.signing import sign_bundle

    pack = _pack(tmp_path, bundle)
    (pack / LOCK_FILE).unlink(missing_ok=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    loaded = fp.load_bundle(pack)  # the pack as checked: no link in it
    for name in (LOCK_FILE, SIGNATURE_FILE):  # planted meanwhile
        (pack / f".{name}.{os.getpid()}.tmp").symlink_to(victim)
    write_lock(loaded)
    sign_bundle(loaded, Ed25519PrivateKey.generate())
    assert victim.read_text(encoding="utf-8") == "precious\n"
    umask = os.umask(0o022)
    os.umask(umask)
    for name in (LOCK_FILE, SIGNATURE_FILE):
        assert (pack / name).is_file() and not (pack / name).is_symlink(), name
        # readable as a plainly written file is: the service may run as another user
        assert (pack / name).stat().st_mode & 0o777 == 0o666 & ~umask, name
    assert sorted(p.name for p in pack.iterdir() if p.name.endswith(".tmp")) == sorted(
        f".{name}.{os.getpid()}.tmp" for name in (LOCK_FILE, SIGNATURE_FILE))
