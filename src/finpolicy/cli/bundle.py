"""``finpolicy bundle lock|sign|verify``: pin each released policy version, sign a bundle's
digest, and check a bundle against a digest and trusted keys."""

from __future__ import annotations

import sys
from pathlib import Path

import click

import finpolicy as fp
from finpolicy.cli.common import console, dump_json, reports_errors


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
    """Write PACK/bundle.lock with the content digest and end of every policy version.

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
    console.print(f"locked {len(bundle.documents)} policy version(s) in {update.path}"
                  + "".join(f"; {d}" for d in details))


@bundle_group.command("sign")
@click.argument("pack", metavar="PACK")
@click.option("--key", "key_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Ed25519 private key (PKCS#8 PEM), e.g. signing-key.pem from "
                   "`finpolicy audit keygen`.")
@click.option("--signer", default=None, help="Who signs (kept beside the signature).")
@reports_errors
def sign_command(pack: str, key_path: str, signer: str | None) -> None:
    """Sign PACK's digest with KEY; the signature goes into PACK/bundle.sig."""
    from finpolicy.documents.signing import sign_bundle

    bundle = fp.load_bundle(pack)
    path = sign_bundle(bundle, Path(key_path), signer=signer)
    console.print(f"signed {bundle.name} {bundle.version} (digest {bundle.digest}) in {path}")


@bundle_group.command("verify")
@click.argument("pack", metavar="PACK")
@click.option("--key", "keys", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A trusted Ed25519 public key (PEM); repeat for several.")
@click.option("--digest", "digest", default=None, help="The digest the bundle must have.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@reports_errors
def verify_command(pack: str, keys: tuple[str, ...], digest: str | None, as_json: bool) -> None:
    """Check PACK: its lock, its digest (--digest) and a signature by a trusted key (--key).

    Exits 0 when it matches, 1 when the digest or signatures do not, 2 when the pack is
    invalid or a locked version changed.
    """
    from finpolicy.documents.signing import check_signatures

    bundle = fp.load_bundle(pack)
    problems = []
    if digest is not None and digest != bundle.digest:
        problems.append(f"digest {bundle.digest} is not the expected {digest}")
    signed_by: list[str] = []
    if keys:
        try:
            signed_by = check_signatures(Path(bundle.root), bundle.name, bundle.version,
                                         bundle.digest, [Path(k) for k in keys])
        except fp.PolicyError as exc:
            problems += [p.message for p in exc.problems]
    if as_json:
        dump_json({"bundle": bundle.name, "version": bundle.version, "digest": bundle.digest,
                   "signed_by": signed_by, "ok": not problems, "problems": problems})
    else:
        console.print(f"{bundle.name} {bundle.version}: digest {bundle.digest}")
        for key in signed_by:
            console.print(f"[green]signed by trusted key {key}[/]")
        for problem in problems:
            console.print(f"[red]{problem}[/]")
    if problems:
        sys.exit(1)


COMMANDS = [bundle_group]
