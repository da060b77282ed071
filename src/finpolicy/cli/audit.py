"""``finpolicy audit keygen|verify|replay|find``: keys for a decision log, checking a log's
chain and signatures, replaying its decisions (against the same bundle or another one), and
finding the entries that hold a value."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

import finpolicy as fp
from finpolicy.cli.common import (
    BadValue,
    console,
    dump_json,
    parse_when,
    plural,
    reports_errors,
)
from finpolicy.errors import FinpolicyError

if TYPE_CHECKING:
    from finpolicy.audit import AuditKeys, Found


@click.group("audit")
def audit_group() -> None:
    """Decision logs: generate keys, verify a log, replay its decisions, find entries."""


@audit_group.command("keygen")
@click.argument("folder", type=click.Path(file_okay=False))
@reports_errors
def keygen_command(folder: str) -> None:
    """Write a new signing key pair and sealing secret into FOLDER.

    public-key.pem goes to auditors; signing-key.pem and sealing-secret.b64 stay with the
    bank (a key vault in production). Refuses to overwrite existing keys.
    """
    from finpolicy.audit.keys import generate_keys

    keys = generate_keys(folder)
    console.print(f"wrote keys {keys.key_id} to {folder}: public-key.pem (for auditors), "
                  "signing-key.pem and sealing-secret.b64 (keep secret)")


def _shown(log: str) -> str:
    """``log`` as a report shows it: a PostgreSQL URL without its password."""
    from finpolicy.audit.postgres import redacted

    return redacted(log) if log.startswith(("postgresql:", "postgres:")) else log


def _public_key(public_key: str | None, keys: str | None) -> Any:
    if public_key is not None:
        return Path(public_key)
    if keys is not None:
        from finpolicy.audit.keys import AuditKeys

        return AuditKeys.load(keys, need_public=True).public_key
    return None


@audit_group.command("verify")
@click.argument("log", metavar="LOG")
@click.option("--public-key", type=click.Path(exists=True, dir_okay=False), default=None,
              help="The bank's Ed25519 public key (PEM) the checkpoints must verify with.")
@click.option("--keys", type=click.Path(exists=True, file_okay=False), default=None,
              help="A key folder holding public-key.pem (or signing-key.pem): verifying "
                   "needs the public key; a folder with sealing-secret.b64 alone does not "
                   "verify.")
@click.option("--anchor", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A copy of the latest checkpoint kept apart from the log.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@reports_errors
def verify_command(log: str, public_key: str | None, keys: str | None, anchor: str | None,
                   as_json: bool) -> None:
    """Verify LOG: every entry's hash, the chain, the signed checkpoints and the head.

    LOG is a log folder (JSON lines), an SQLite file or a postgresql:// URL. Exits 0 when the
    log is intact and 1 at the first broken link, which is reported with its entry number.
    """
    from finpolicy.audit.verify import Break, VerifyReport, verify_log

    try:
        report = verify_log(log, public_key=_public_key(public_key, keys), anchor=anchor)
    except FinpolicyError as exc:
        if not as_json:
            raise
        # a JSON reader gets a report for every outcome, a log it cannot open included
        shown = _shown(log)
        report = VerifyReport(shown, None, 0, 0, 0, 0, 0, 0, None, False,
                              Break(0, shown, "unreadable", str(exc)))
    if as_json:
        dump_json(report.to_dict())
    else:
        console.print(f"log {escape(report.target)} ({report.log_id or 'unknown id'})")
        if report.last >= report.first > 0:
            console.print(f"entries {report.first}–{report.last}: {report.decisions:,} "
                          f"decision(s), {report.checkpoints:,} checkpoint(s) signed by key "
                          f"{report.key or '—'}{'' if report.key_pinned else ' (not pinned)'}")
        else:
            console.print("no entry could be verified")
        for note in report.notes:
            console.print(f"note: {escape(note)}")
        for warning in report.warnings:
            console.print(f"[yellow]warning:[/] {escape(warning)}")
        if report.problem is None:
            console.print(f"[green]intact: verified through entry {report.last}, signed "
                          f"through entry {report.signed_through}[/]")
        else:
            at = f"at entry {report.problem.entry} " if report.problem.entry else ""
            console.print(f"[red]broken {at}({escape(report.problem.where)}): "
                          f"{report.problem.kind}[/]")
            console.print(escape(report.problem.message))
    if not report.ok:
        sys.exit(1)


def _replayed(log: str, keys: str, other: str | None, deciders: tuple[str, ...],
              engine: str | None, kinds: Any, trusted: tuple[str, ...]) -> Any:
    """``replay_log`` with the bundles named on the command line (a folder, a pack's name,
    or ``git:REV:PATH``, extracted for the replay)."""
    from finpolicy.audit.keys import AuditKeys
    from finpolicy.audit.replay import replay_log
    from finpolicy.documents.git import bundle_folder
    from finpolicy.testing.diff import declared_outcomes, known_outcomes, parse_fail_on

    with contextlib.ExitStack() as folders:
        def load(spec: str) -> fp.Bundle:
            return fp.load_bundle(folders.enter_context(bundle_folder(spec)))

        proposed = None if other is None else load(other)
        found = [load(p) for p in deciders]
        if proposed is not None:  # an outcome no decision can have could never match
            parse_fail_on(kinds, known=known_outcomes(proposed, *found),
                          listed=declared_outcomes(), name="--fail-on")
        return replay_log(log, AuditKeys.load(keys, need_sealing=True), bundle=proposed,
                          deciders=found, engine=engine, trusted_keys=trusted or None)


@audit_group.command("replay")
@click.argument("log", metavar="LOG")
@click.option("--keys", required=True, type=click.Path(exists=True, file_okay=False),
              help="The key folder holding sealing-secret.b64 (to open the logged inputs).")
@click.option("--bundle", "-b", "other", default=None, metavar="PATH",
              help="Another bundle (a folder, a pack's name or git:REV:PATH): report what it "
                   "would decide differently.")
@click.option("--with", "deciders", multiple=True, metavar="PATH",
              help="A bundle that decided entries, when it is no longer at the folder the log "
                   "recorded (matched by digest): a folder or git:REV:PATH, the pack as a "
                   "released revision held it; repeat for several.")
@click.option("--engine", "-e", type=click.Choice(["compiled", "durable"]), default=None,
              help="Replay on this engine (default: the one each entry names).")
@click.option("--fail-on", "fail_on", multiple=True, metavar="KIND",
              help="With --bundle: exit 1 when a change of this kind is found (as in "
                   "`finpolicy diff`).")
@click.option("--trusted-key", "trusted", multiple=True, type=click.Path(dir_okay=False),
              help="An approver's public key (PEM): every bundle that decided must carry a "
                   "current signature by one of them (`finpolicy bundle sign`); repeat for "
                   "several.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@reports_errors
def replay_command(log: str, keys: str, other: str | None, deciders: tuple[str, ...],
                   engine: str | None, fail_on: tuple[str, ...], trusted: tuple[str, ...],
                   as_json: bool) -> None:
    """Evaluate LOG's decisions again and compare them with what was logged.

    Without --bundle every decision must come out identical (exit 1 and each difference
    otherwise). With --bundle OTHER the decisions OTHER would change are grouped as
    `finpolicy diff` groups them: a backtest of a policy change on real history.
    """
    from finpolicy.cli.testing import _print_diff
    from finpolicy.testing.diff import fail_on_kinds, parse_fail_on

    kinds = fail_on_kinds(fail_on, "--fail-on")
    parse_fail_on(kinds, name="--fail-on")
    if kinds and other is None:
        raise BadValue("--fail-on judges the changes another bundle would make: give it "
                       "with --bundle", param_hint="--fail-on")
    report = _replayed(log, keys, other, deciders, engine, kinds, trusted)
    impact = report.impact
    failing = impact.matching(kinds) if impact is not None and kinds else ()
    if as_json:
        dump_json(report.to_dict())
    else:
        if report.entries == 0:
            console.print(f"{escape(report.target)} holds no decision to replay")
        else:
            console.print(f"replayed {report.entries:,} call(s), {report.decisions:,} "
                          f"decision(s) of {escape(report.target)} with "
                          f"{escape(', '.join(report.bundles))}")
        if report.approved_by is not None and report.entries:
            console.print("every bundle that decided is signed by trusted key "
                          f"{escape(', '.join(report.approved_by))}")
        for warning in report.warnings:
            console.print(f"[yellow]warning:[/] {escape(warning)}")
        for mismatch in report.mismatches[:50]:
            console.print(f"[red]differs:[/] {escape(str(mismatch))}")
        if len(report.mismatches) > 50:
            console.print(f"… and {len(report.mismatches) - 50} more")
        if report.reproduced and report.entries:
            console.print("[green]every decision reproduced[/]")
        if impact is not None:
            _print_diff(impact, {i for i, g in enumerate(impact.groups)
                                 if any(g is f for f in failing)})
            _print_changed_entries(report)
    if not report.reproduced or failing:
        sys.exit(1)


def _print_changed_entries(report: Any) -> None:
    """Every log entry each group of changes holds (the diff shows one example of each)."""
    for group, entries in zip(report.impact.groups, report.changed_entries(), strict=True):
        shown = ", ".join(str(e) for e in entries[:_LISTED])
        more = f" … and {len(entries) - _LISTED:,} more (--json lists them all)" \
            if len(entries) > _LISTED else ""
        console.print(f"{escape(group.domain)}: {escape(group.old)} → {escape(group.new)} "
                      f"at log {'entry' if len(entries) == 1 else 'entries'} {shown}{more}")


@audit_group.command("find")
@click.argument("log", metavar="LOG")
@click.option("--keys", default=None, type=click.Path(exists=True, file_okay=False),
              help="The key folder holding sealing-secret.b64 (masked values are found by "
                   "their keyed hash); needed with --value and --reveal.")
@click.option("--value", "-v", "values", multiple=True, metavar="TEXT",
              help="A value to find (a customer id, a card number, a clerk's id); repeat: "
                   "an entry must hold every one.")
@click.option("--rule", "rules", multiple=True, metavar="ID",
              help="A rule's id: only entries with a decision it decided; repeat: an entry "
                   "must have every one.")
@click.option("--domain", default=None, metavar="NAME",
              help="Only entries of this domain: one installed (`finpolicy domains` lists "
                   "them) or one the log's entries name (a plug-in's not installed here).")
@click.option("--since", default=None, metavar="DATE",
              help="Only entries written on or after this day (UTC), YYYY-MM-DD.")
@click.option("--until", default=None, metavar="DATE",
              help="Only entries written on or before this day (UTC), YYYY-MM-DD.")
@click.option("--as-of-from", "as_of_from", default=None, metavar="DATE",
              help="Only decisions made as of this day or later (the entry's own as_of, "
                   "whenever it was written: a backdated batch counts on its as_of), "
                   "YYYY-MM-DD.")
@click.option("--as-of-to", "as_of_to", default=None, metavar="DATE",
              help="Only decisions made as of this day or earlier (the entry's own as_of), "
                   "YYYY-MM-DD.")
@click.option("--reveal", is_flag=True,
              help="Also print each entry's input in clear (the sealed values put back).")
@click.option("--json", "as_json", is_flag=True, help="Print the entries as JSON.")
@reports_errors
def find_command(log: str, keys: str | None, values: tuple[str, ...], rules: tuple[str, ...],
                 domain: str | None, since: str | None, until: str | None,
                 as_of_from: str | None, as_of_to: str | None, reveal: bool,
                 as_json: bool) -> None:
    """Find LOG's decision entries that hold a value, were decided by a rule, or were
    written (or decided as of) in a time range, and print what was decided.

    Give at least one of --value, --rule, --domain, --since, --until, --as-of-from and
    --as-of-to. --since/--until filter by the day an entry was written (UTC),
    --as-of-from/--as-of-to by the day its decisions were made as of. Masked values are
    found by their keyed hash (so --value needs --keys), values shown in clear (and the
    caller context) by their text. Like replay, find reads without checking hashes: run
    `finpolicy audit verify` for proof the entries are as written.
    """
    from finpolicy.audit.keys import AuditKeys
    from finpolicy.audit.search import find_entries, segments_gone, unknown_domain

    first, last = _find_options(values, rules, since, until,
                                bool(domain is not None or as_of_from or as_of_to))
    if domain is not None and (problem := unknown_domain(log, domain)) is not None:
        raise BadValue(problem, param_hint="--domain")
    as_of_first, as_of_last = _days(as_of_from, as_of_to, "--as-of-from", "--as-of-to")
    if (values or reveal) and keys is None:
        raise BadValue("give the key folder of the log's sealing secret: the log holds "
                       "masked values only as keyed hashes"
                       + (" (--reveal opens them)" if reveal and not values else ""),
                       param_hint="--keys")
    opened = None if keys is None else AuditKeys.load(keys, need_sealing=bool(values or reveal))
    found = find_entries(log, opened, values, rules=rules, domain=domain, since=first,
                         until=last, as_of_from=as_of_first, as_of_to=as_of_last)
    gone = segments_gone(log)
    if as_json:
        entries = []
        for hit in found:
            data = hit.to_dict()
            if reveal:
                assert opened is not None
                data["input_in_clear"] = hit.entry.unseal(opened)[0]
            entries.append(data)
        dump_json({"log": _shown(log), "values": list(values), "rules": list(rules),
                   "entries": entries, "segments_gone": gone})
        return
    count = 0
    for hit in found:
        count += 1
        _print_found(hit, opened if reveal else None)
    sought = ", ".join([*(f"`{v}`" for v in values), *(f"rule `{r}`" for r in rules)])
    what = f"hold{'' if count > 1 else 's'} {sought}" if sought else "match"
    console.print(f"{plural(count, 'entry', 'entries') if count else 'no entry'} "
                  f"{escape(what)} (read without checking hashes: `finpolicy audit verify` "
                  "proves them unchanged)")
    if gone:
        console.print(f"note: segment{'s' if len(gone) > 1 else ''} "
                      f"{', '.join(map(str, gone))} of the log {'were' if len(gone) > 1 else 'was'}"
                      " deleted by retention, and their entries were not searched "
                      "(`finpolicy audit verify` names the entries and the day)")


def _find_options(values: tuple[str, ...], rules: tuple[str, ...], since: str | None,
                  until: str | None, more: bool) -> tuple[Any, Any]:
    """``find``'s options checked (exit 3 with the option's name): the days they give."""
    if not (values or rules or since or until or more):
        raise BadValue("say what to find: --value, --rule, --domain, --since, --until, "
                       "--as-of-from or --as-of-to", param_hint="--value")
    if not all(v.strip() for v in values):
        raise BadValue("a value to find cannot be blank", param_hint="--value")
    if not all(r.strip() for r in rules):
        raise BadValue("a rule to find cannot be blank", param_hint="--rule")
    return _days(since, until, "--since", "--until")


def _days(low: str | None, high: str | None, low_option: str, high_option: str
          ) -> tuple[Any, Any]:
    """Two days of ``find``'s options, the first not after the second (exit 3 otherwise)."""
    first, last = (parse_when(d, aware=False, option=o)
                   for d, o in ((low, low_option), (high, high_option)))
    if first is not None and last is not None and first > last:
        raise BadValue(f"{low} is after {high_option} {high}", param_hint=low_option)
    return first, last


def _print_found(hit: Found, keys: AuditKeys | None) -> None:
    from finpolicy.audit.search import decision_places

    entry = hit.entry
    bundle = entry.env.get("bundle") or {}
    console.print(f"[bold]entry {entry.seq}[/] {escape(entry.at)} {escape(entry.domain)}."
                  f"{escape(entry.method)} as of {escape(str(entry.as_of))}, "
                  f"{escape(str(bundle.get('name')))} {escape(str(bundle.get('version')))} "
                  f"({escape(str(bundle.get('digest'))[:12])})")
    for place in hit.places:
        how = "in clear" if place.level is None else f"masked, {place.level}"
        console.print(f"  holds `{escape(place.value)}` at {escape(place.path)} ({escape(how)})")
    if entry.context:
        console.print("  context " + escape(" ".join(f"{k}={v}"
                                                     for k, v in entry.context.items())))
    if not entry.decisions:
        console.print("  decided nothing (the call returned no decision: nothing to report)")
    about = decision_places(entry) or []
    for at, decision in enumerate(entry.decisions[:_SHOWN]):
        console.print("  " + escape(_about(entry, about[at]) if at < len(about) else "")
                      + escape(_decided(decision)))
    if len(entry.decisions) > _SHOWN:
        console.print(f"  … and {len(entry.decisions) - _SHOWN} more decisions")
    if keys is not None:
        clear = json.dumps(entry.unseal(keys)[0], ensure_ascii=False, separators=(",", ":"),
                           default=str)
        console.print(f"  input in clear {escape(clear)}")


def _about(entry: Any, places: tuple[str, ...]) -> str:
    """``products.1 (id ***): `` — the item a decision concerns, with its id as logged; the
    places it may concern when the log cannot tell which."""
    if len(places) == 1:
        key, _, at = places[0].rpartition(".")
        item = entry.input[key][int(at)]
        shown = item.get("id") if isinstance(item, dict) else None
        return places[0] + ("" if shown is None else f" (id {shown})") + ": "
    return (f"{', '.join(places[:-1])} or {places[-1]} (the log cannot tell which: their "
            "ids are masked alike): ")


def _decided(decision: Any) -> str:
    """``decided unsuitable under cn-suitability 2.3.0 by above-tolerance (nfra-2025-7 Art.
    12), …``: the outcome, the policy version that decided and each rule with its citation."""
    if not isinstance(decision, dict):
        return f"decided {decision}"
    policy = decision.get("policy")
    under = f" under {policy.get('id')} {policy.get('version')}" \
        if isinstance(policy, dict) and policy.get("id") else ""
    rules = [str(h.get("rule_id")) + (f" ({h['cite']})" if h.get("cite") else "")
             for h in decision.get("hits") or [] if isinstance(h, dict)]
    return f"decided {decision.get('outcome')}{under}" + (f" by {', '.join(rules)}"
                                                          if rules else "")


_SHOWN = 10
_LISTED = 200
COMMANDS = [audit_group]
