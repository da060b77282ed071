"""The registry of error codes: every code a ``Problem`` or ``InputProblem`` may carry.

Codes are part of the API (tools match on them), so each is declared here once with what it
means; constructing a problem with an undeclared code is a bug and raises ``ValueError``. The
docs' error-code page is generated from this registry. A domain plug-in declares its own codes
through ``Domain.error_codes``. Input problems may also carry pydantic's own error types
(``missing``, ``string_too_short`` …), which pydantic documents.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping

import attrs
from pydantic_core import core_schema

__all__ = ["ErrorCode", "Kind", "declare", "error_codes", "is_declared"]

Kind = typing.Literal["policy", "input", "evaluation", "cli"]


@attrs.frozen(slots=True)
class ErrorCode:
    """A stable error code.

    Attributes:
        code: the code, lower-case words joined by ``_``.
        kind: ``policy`` (a policy document or pack), ``input`` (a value given to an
            evaluation or the CLI), ``evaluation`` (an engine) or ``cli``.
        summary: what it means, in one sentence.
        origin: who declared it (``finpolicy`` or a domain plug-in's name).
    """

    code: str
    kind: Kind
    summary: str
    origin: str = "finpolicy"


_CODES: dict[str, ErrorCode] = {}
_PYDANTIC = frozenset(typing.get_args(core_schema.ErrorType))


def declare(kind: Kind, codes: Mapping[str, str], *, origin: str = "finpolicy") -> None:
    """Declare ``codes`` (code → summary); redeclaring a code with another meaning is an
    error."""
    for code, summary in codes.items():
        found = _CODES.get(code)
        if found is not None and (found.kind, found.summary) != (kind, summary):
            raise ValueError(f"error code `{code}` is already declared by {found.origin}")
        _CODES[code] = ErrorCode(code, kind, summary, origin)


def is_declared(code: str, *, pydantic: bool = False) -> bool:
    """Whether ``code`` is declared (or, with ``pydantic``, is one of pydantic's types)."""
    return code in _CODES or (pydantic and code in _PYDANTIC)


def error_codes() -> list[ErrorCode]:
    """Every declared code, sorted (built-in domains' codes included)."""
    from finpolicy.domains.registry import domains

    domains()  # plug-ins declare their codes when they load
    return sorted(_CODES.values(), key=lambda c: c.code)


declare("policy", {
    # bundles and documents
    "no_bundle": "The bundle folder does not exist.",
    "no_manifest": "The bundle has no `bundle.yaml` manifest.",
    "empty_bundle": "The bundle folder holds no policy documents.",
    "unreadable": "A file cannot be read (permissions, encoding).",
    "yaml_syntax": "A file is not valid YAML.",
    "yaml_tag": "A YAML value carries a tag other than str, int, float, bool, null, seq and "
                "map (a `!!binary`, a merge key, a Python object).",
    "yaml_number": "A YAML number is written in a form read otherwise than it looks (an "
                   "integer with a leading 0, which YAML 1.1 reads as octal).",
    "yaml_depth": "YAML collections nest deeper than a file may.",
    "yaml_key": "A YAML key is a collection, not text, a number or a boolean.",
    "yaml_alias": "A YAML alias names no anchor before it, points into its own collection, "
                  "or aliases expand to more values than a file may hold.",
    "yaml_too_many_nodes": "A YAML file holds more values than a file may.",
    "not_a_mapping": "A policy document is not a YAML mapping.",
    "unknown_kind": "The document's `kind` is not a registered policy kind.",
    "invariants_ignored": "A document declares invariants its kind does not compile (the "
                          "domain's build returns none), so no tool would check them.",
    "invariant_fact_unprovided": "An invariant reads a `decision.*` fact the kind's invariant "
                                 "adapter does not provide, so it could never be judged.",
    "pack_check_failed": "A domain's check across the pack's policies raised or gave no "
                         "problems (a bug of the domain, which the message names).",
    "kind_failed": "A policy kind's build raised on the document (a bug of the domain "
                   "declaring the kind, whose module the message names).",
    "kind_conflict": "One policy id is declared with several kinds.",
    "duplicate_version": "Two documents declare the same version of one policy.",
    "version_overlap": "The effective windows of two versions of one policy overlap.",
    "ambiguous_bundle": "A bundle name is both a shipped pack and a folder here.",
    "link_outside_pack": "A pack holds a symbolic link to a file outside the pack.",
    "link_loop": "A pack holds a symbolic link that leads back to itself (a loop of links).",
    # rules, conditions and citations, shared by every kind
    "duplicate_rule": "A rule id is used twice in one policy (compared without case).",
    "bad_rule_id": "A rule id has spaces around it or characters that do not print.",
    "unknown_source": "A cite does not start with a source id declared in `metadata.sources`.",
    "bare_cite": "A cite names a source but no article or section.",
    "bad_obligation": "An obligation is not lower-case words joined by `_`.",
    "unknown_term": "A name (an obligation, a product kind, a channel …) is not in the "
                    "declared vocabulary that covers it.",
    "cross_policy": "Two policies of a pack disagree (a pack-level check names both).",
    "condition_type": "A condition is not a mapping, or a combinator's body is not a list.",
    "unknown_operator": "A condition uses an operator the language does not have.",
    "mixed_condition": "A combinator (`all`, `any`, `not`) shares a mapping with other keys.",
    "missing_field": "A comparison has no `field`.",
    "operator_count": "A comparison has no operator or several.",
    "bad_path": "A field path is not dot-separated names.",
    "unknown_field": "A condition reads a field the domain does not derive.",
    "bad_operand": "An operator's value has the wrong shape or type.",
    "type_mismatch": "A comparison's value does not have the field's type.",
    "negated_match": "`matches` appears under `not` (the durable engine cannot negate it).",
    "bad_pattern": "A `matches` pattern is not in the supported pattern language.",
    "durable_too_complex": "A condition expands to too many alternatives for the durable "
                           "engine.",
    "condition_depth": "A condition nests `all`, `any` and `not` deeper than the engines allow.",
    "engine_build": "An engine cannot build a rule set (the message says which and why).",
    "file_too_large": "A policy file is larger than a policy file may be.",
    # vocabulary shared by several kinds
    "duplicate_value": "A list of names lists one twice.",
    "duplicate_name": "A name is declared twice (or redeclares an implicit one).",
    "bad_name": "A name is not lower-case words joined by `_`.",
    "bad_days": "A number of days is not positive.",
    "unknown_level": "A level is not one the policy declares.",
    "unknown_category": "A category is not one the policy declares.",
    "unknown_action": "An action is not one the policy declares.",
    "unknown_purpose": "A purpose is not one the policy declares.",
    "unknown_role": "A role is not one the policy declares.",
    "unknown_time_zone": "A time zone is not an IANA zone name.",
    "unknown_obligation": "A setting names an obligation no rule carries.",
    # pinned and signed bundles
    "digest_mismatch": "The bundle's digest is not the one the caller expects.",
    "bad_lock": "The bundle's lock file is not valid.",
    "locked_version_missing": "A version the lock file records as released is gone.",
    "released_version_changed": "A released version's content changed without a version bump "
                                "(or the lock file was edited).",
    "released_window_changed": "A released version's effective window (`effective_from`, "
                               "`effective_until`) is not the one locked; `finpolicy bundle "
                               "lock` records it.",
    "retroactive_window": "Locking a released version's changed window would change the "
                          "version in force on a day not after the day of locking.",
    "bad_signature": "A signature in `bundle.sig` is malformed or does not verify, or no "
                     "trusted key signed the bundle.",
    "stale_signature": "The bundle (a policy, the manifest or its lock file) changed since it "
                       "was signed.",
    "bad_key": "A signing or trusted key cannot be read.",
    "unsigned_bundle": "Trusted keys were given but the bundle carries no signature.",
    # words against rules (a warning of the docs build and of lint, never a load error)
    "number_mismatch": "A description or reason states an age, duration, share or amount "
                       "that no number of that kind in the policy's rules or settings matches.",
    # policy test cases
    "duplicate_case": "Two test cases in one file have the same name.",
    "expect_type": "A test case's `expect` is not a mapping or list of mappings.",
    "expect_empty": "A test case's `expect` checks nothing (or drops what it names), so the "
                    "case would pass whatever the decision.",
    "as_of": "A test case's `as_of` is not an ISO date or an aware datetime.",
})

declare("input", {
    "invalid_input": "An input value is invalid (the message says why).",
    "bad_input": "An input does not have the shape the domain expects.",
    "unknown_key": "An input mapping has a key the domain does not take.",
    "unknown_input_term": "An input value is not in the declared vocabulary of its field.",
    "missing": "A required input is missing.",
    "bad_date": "A date is not an ISO date.",
    "bad_datetime": "A datetime is not an ISO datetime with a time zone offset.",
    "naive_datetime": "A datetime has no time zone offset.",
    "unknown_engine": "The engine name is not `compiled` or `durable`.",
    "unknown_domain": "No registered domain has that name.",
    "unknown_operation": "No registered domain has an operation of that name.",
    "bad_bundle": "Something other than a loaded bundle was given as the bundle.",
    "unreadable_input": "An input file cannot be read.",
    "bad_file": "An input file is not valid JSON, JSON lines, YAML or CSV.",
    "bad_option": "An option's value is invalid.",
    "bad_number": "A number is given as true or false.",
    "bad_table": "A batch source is not a table, a data frame or a readable Parquet or CSV "
                 "file.",
    "missing_extra": "Reading the input needs an optional extra that is not installed.",
    "unknown_option": "An option is not one the function takes.",
    "number_out_of_range": "A number is beyond ±2^53, which the engines cannot compare exactly.",
    "text_too_long": "A text under `matches` is longer than a pattern is applied to.",
    "too_deep": "An input file nests lists and mappings deeper than finpolicy reads.",
    "too_large": "An input file, or a cell of one, is larger than finpolicy reads.",
    "bad_request_id": "A request's `X-Request-Id` looks like a card or resident ID number, "
                      "which the decision log would keep in clear.",
    "duplicate_key": "A mapping gives one key twice (a YAML mapping, a JSON object in a file "
                     "or a request body).",
    "not_in_force": "A time an input gives — a table row's own `as_of`, a complaint's "
                    "`received_at` — at which no version of the policy is in force.",
    "date_out_of_range": "A date or time lies where nothing can be computed from it (a "
                         "deadline past year 9999, a time before year 1).",
    "unsafe_path": "An output path would write outside its folder or through a link.",
    "not_empty": "An output folder holds files finpolicy did not write.",
    "bad_output": "An output path cannot be written: empty, a folder where a file is wanted "
                  "or a file where a folder is, under a file, a special file, in a folder no "
                  "file can be made in, or the command's own input.",
})
