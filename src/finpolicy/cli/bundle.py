"""``finpolicy bundle lock|sign|verify``: pin each released policy version, sign a bundle as
it is (lock included), and check a bundle against its lock, a digest and trusted keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import click

import finpolicy as fp
from finpolicy.cli.common import (
    EXIT_FAILED,
    EXIT_INVALID_INPUT,
    EXIT_OK,
    cell,
    console,
    dump_json,
    exit_with,
    policy_exit,
    reports_errors,
    shown,
)
from finpolicy.errors import FinpolicyError, InputError, InputProblem, PolicyError


@click.group("bundle")
def bundle_group() -> None:
    """Pin, sign and verify policy bundles."""


@bundle_group.command("lock")
@click.argument("pack", metavar="PACK")
@click.option("--amend", "amend", multiple=True, metavar="ID@VERSION",
              help="Lock this released version as it is although it changed in place, its "
                   "window changed in the past or it left the folder (retires it); repeat "
                   "for several. For deliberate corrections only.")
@reports_errors
def lock_command(pack: str, amend: tuple[str, ...]) -> None:
    """Write PACK/bundle.lock with the content digest and window of every policy version.

    Once locked, loading the pack refuses a version whose content changed without a new
    version number, a version whose window (effective_from, effective_until) is not the
    locked one, and a locked version that left the folder. Ending a released version is
    not a content change: set its effective_until and lock again, which records the new
    window when every day that changes version is after today. Exits 2 when a locked
    version changed, changed its window in the past or left (unless named with --amend), 3
    when --amend names no locked version.
    """
    from finpolicy.documents.bundle import load_unpinned
    from finpolicy.documents.lock import write_lock

    bundle, _ = load_unpinned(pack)
    update = write_lock(bundle, amend=amend)
    details = [f"{word}: {', '.join(keys)}" for word, keys in
               (("new", update.added), ("window recorded", update.windows),
                ("amended", update.amended), ("retired", update.retired)) if keys]
    console.print(shown(f"locked {len(bundle.documents)} policy version(s) in "
                        f"{_where(update.path)}" + "".join(f"; {d}" for d in details)),
                  markup=False)


@bundle_group.command("sign")
@click.argument("pack", metavar="PACK")
@click.option("--key", "key_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Ed25519 private key (PKCS#8 PEM), e.g. signing-key.pem from "
                   "`finpolicy audit keygen`.")
@click.option("--signer", default=None, help="Who signs (kept beside the signature).")
@reports_errors
def sign_command(pack: str, key_path: str, signer: str | None) -> None:
    """Sign PACK as it is (policies, manifest and bundle.lock) with KEY; the signature goes
    into PACK/bundle.sig. Exits 2 when the pack is invalid, 3 when KEY is no Ed25519 signing
    key."""
    from finpolicy.audit.errors import AuditError
    from finpolicy.audit.keys import load_private_key
    from finpolicy.documents.signing import sign_bundle

    try:  # a key that is no signing key is a bad option, as for `bundle verify --key`
        key = load_private_key(Path(key_path))
    except AuditError as exc:
        raise InputError([InputProblem("--key", str(exc), "bad_option", key_path)]) from None
    bundle = fp.load_bundle(pack)
    path = sign_bundle(bundle, key, signer=signer)
    console.print(shown(f"signed {bundle.name} {bundle.version} (digest {bundle.digest}) in "
                        f"{_where(path)}"), markup=False)


def _where(path: Path) -> str:
    """``path`` as the user named the pack: from the current folder when it is under it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@bundle_group.command("verify")
@click.argument("pack", metavar="PACK")
@click.option("--key", "keys", multiple=True, type=click.Path(dir_okay=False),
              help="A trusted Ed25519 public key (PEM); repeat for several. Without it, "
                   "signatures are checked but not who made them.")
@click.option("--digest", "digest", default=None,
              help="The digest the bundle must have (64 hexadecimal digits, either case).")
@click.option("--min-version", "min_version", default=None, metavar="VERSION",
              help="The lowest version the bundle may have (a semantic version): an older "
                   "release fails, though a trusted key signed it.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the result as JSON (on stdout, whatever the outcome).")
def verify_command(pack: str, keys: tuple[str, ...], digest: str | None,
                   min_version: str | None, as_json: bool) -> None:
    """Check PACK: its lock, its digest (--digest), its version (--min-version) and every
    signature in bundle.sig.

    PACK is a folder, a shipped pack's name, or `git:REV:PATH`: the pack as a git revision
    holds it (lock and sign refuse that: they write into the folder).

    Each signature must be intact and of the pack as it is, bundle.lock included; with
    --key, one must be by a trusted key. Without --key, who signed is not checked (and
    the output says so). Exits 0 when every check passes, 1 when the lock, the digest, the
    version or a signature does not, 2 when the pack is otherwise invalid, 3 when a key
    cannot be read or an option is malformed.
    """
    from finpolicy.documents.pins import expected_digest, expected_version, verify_bundle

    try:
        if digest is not None:
            digest = expected_digest(digest, "--digest")  # in either case
        if min_version is not None:
            min_version = expected_version(min_version, "--min-version")
        check = verify_bundle(pack, expect_digest=digest, min_version=min_version,
                              trusted_keys=_trusted_keys(keys) if keys else None)
    except FinpolicyError as exc:
        _refuse(pack, exc, as_json)
    if as_json:
        dump_json({"pack": pack, **check.to_dict()})
    else:
        _print(check)
    exit_with(EXIT_FAILED if check.problems else EXIT_OK)


def _trusted_keys(paths: tuple[str, ...]) -> list[Any]:
    """The keys at ``paths``.

    Raises:
        InputError: one cannot be read or is no Ed25519 public key.
    """
    from finpolicy.audit.errors import AuditError
    from finpolicy.audit.keys import load_public_key

    keys, problems = [], []
    for path in paths:
        try:
            keys.append(load_public_key(Path(path)))
        except AuditError as exc:
            problems.append(InputProblem("--key", str(exc), "bad_option", path))
    if problems:
        raise InputError(problems)
    return keys


def _refuse(pack: str, exc: FinpolicyError, as_json: bool) -> NoReturn:
    """Report an error that stopped the checks: exit 2 (invalid pack), 3 (bad input) or 1."""
    from finpolicy.documents.pins import problem_dict

    code = policy_exit(exc) if isinstance(exc, PolicyError) else \
        EXIT_INVALID_INPUT if isinstance(exc, InputError) else EXIT_FAILED
    found = list(getattr(exc, "problems", ()))
    if as_json:
        dump_json({"pack": pack, "bundle": None, "version": None, "digest": None, "ok": False,
                   "locked": None, "signer_checked": False, "signed_by": [], "signatures": [],
                   "problems": [problem_dict(p) for p in found] or
                   [{"file": None, "line": None, "path": "", "code": None,
                     "message": str(exc)}], "notes": []})
    else:
        for line in [str(p) for p in found] or [f"error: {exc}"]:
            click.echo(line, err=True)
    exit_with(code)


def _print(check: Any) -> None:
    # what bundle.sig, the manifest and the file names hold is the pack's text, not markup
    # (a signer `[/x]` stopped the report with rich's MarkupError)
    console.print(cell(f"{check.bundle} {check.version}: digest {check.digest}"))
    for status in () if check.signatures is None else check.signatures.signatures:
        by = cell(status.key + (f" ({status.signer})" if status.signer else ""))
        if status.intact and status.current and status.trusted:
            console.print(f"[green]signed by trusted key {by}[/]")
        elif status.intact and status.current and status.trusted is None:
            console.print(f"[yellow]signed by key {by}, signer not checked[/]")
    for problem in check.problems:
        console.print(f"[red]{cell(str(problem))}[/]")
    for note in check.notes():
        console.print(f"note: {cell(note)}")
    if check.ok:
        console.print("[green]ok[/]" if check.signer_checked else
                      "[green]ok[/], but the signer was not checked (pass --key)")


COMMANDS = [bundle_group]
