"""Size limits on inputs, so that no single value can exhaust memory or time.

finpolicy sits on request paths and reads files other teams produce; every text and list an
input model takes is bounded, and a value over its bound is an ``InputError`` naming the field
(pydantic's ``string_too_long`` or ``too_long`` code, with the limit in the message). The
limits are far above any legitimate value; ``docs/security.rst`` lists them.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from finpolicy.identity import canonical_id

__all__ = [
    "MAX_AMOUNT",
    "MAX_BODY_VALUES",
    "MAX_CSV_CELL",
    "MAX_DOCUMENT_BYTES",
    "MAX_ID_LENGTH",
    "MAX_INPUT_DEPTH",
    "MAX_ITEMS",
    "MAX_LONG_ITEMS",
    "MAX_MONTHS",
    "MAX_PIN_FILE_BYTES",
    "MAX_SAMPLES",
    "MAX_SAMPLE_LENGTH",
    "MAX_SIGNATURES",
    "MAX_TERM_LENGTH",
    "MAX_TEXT_LENGTH",
    "Identity",
    "Key",
    "OptionalIdentity",
    "OptionalScope",
    "Reference",
    "Term",
]

MAX_ID_LENGTH = 256
"""Longest id, in characters (a subject, grant, customer, product or complaint id)."""
MAX_TERM_LENGTH = 200
"""Longest name or word of a policy's vocabulary, in characters (a role, purpose, resource
type, product kind, tag, flag, channel, field name, department or branch)."""
MAX_TEXT_LENGTH = 4096
"""Longest free text for people, in characters (a description or a note)."""
MAX_SAMPLE_LENGTH = 4096
"""Longest sample value of a data field, in characters. A longer value cannot be any
identifier the detectors look for; scans and records pass it on as a placeholder that matches
no detector."""
MAX_SAMPLES = 1_000_000
"""Most sample values of one data field (the most a scan keeps per column)."""
MAX_ITEMS = 256
"""Most items of a short list (roles, grants, tags, flags, sources of a derived field)."""
MAX_LONG_ITEMS = 10_000
"""Most items of a long list (a complaint's events, a customer's earlier assessments, the
fields of a resource, the fields of a record classified at once)."""
MAX_AMOUNT = 1e15
"""Largest amount of money (assets, a sale), below 2**53 so every engine holds it exactly."""
MAX_MONTHS = 12_000
"""Most months of a term or an investment horizon (a thousand years)."""
MAX_CSV_CELL = 131_072
"""Longest CSV cell, in characters (the csv module's ``field_size_limit``, set on every read)."""
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""Largest JSON or YAML input file, in bytes (read whole), and longest line of a JSON-lines or
CSV file (streamed)."""
MAX_INPUT_DEPTH = 64
"""Deepest nesting of lists and mappings in one JSON or YAML input."""
MAX_PIN_FILE_BYTES = 16 * 1024 * 1024
"""Largest ``bundle.lock`` or ``bundle.sig`` of a pack, in bytes, refused before more is read
(a lock of a thousand versions takes some 250 KB). Either is read when a pack loads, before
its signature is checked, so a pack no one signed cannot make the service read gigabytes."""
MAX_SIGNATURES = 64
"""Most signatures in one ``bundle.sig`` (one per key that signs: an author, an approver …).
Each costs a verification at every load; 15,000 copies of one signature (15 MiB) cost 4 s."""
MAX_BODY_VALUES = 2_000_000
"""Most values in one request body of ``finpolicy serve`` (counted by its commas: a comma
inside text counts too). Reading a 16 MiB body of ``[{},{},…]`` (some 5.6 million values)
takes half a gigabyte and a second or more; a batch of 1,000 calls holds a few hundred
thousand at most."""


def _identity(value: str) -> str:
    canonical = canonical_id(value)
    if not canonical:
        raise ValueError("blank id (nothing is left once spaces and invisible characters "
                         "are removed)")
    return canonical


def _optional_identity(value: str | None) -> str | None:
    return None if value is None else canonical_id(value) or None


# An id compared with other ids: kept in canonical form (``finpolicy.identity``); blank is
# an error.
Identity = Annotated[str, StringConstraints(max_length=MAX_ID_LENGTH),
                     AfterValidator(_identity)]
# An optional id in canonical form; blank means missing (``None``).
OptionalIdentity = Annotated[Annotated[str, StringConstraints(max_length=MAX_ID_LENGTH)] | None,
                             AfterValidator(_optional_identity)]
# A department or branch in canonical form; blank means missing (``None``).
OptionalScope = Annotated[Annotated[str, StringConstraints(max_length=MAX_TERM_LENGTH)] | None,
                          AfterValidator(_optional_identity)]
# A word of a policy's vocabulary, matched exactly (any other spelling is unknown to the
# policy: an error or a denial, never a match).
Term = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TERM_LENGTH)]
def _visible(value: str) -> str:
    if not canonical_id(value):
        raise ValueError("blank id (nothing is left once spaces and invisible characters "
                         "are removed)")
    return value


# An id matched exactly (a grant id): no two spellings are merged; blank is an error.
Key = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH),
                AfterValidator(_visible)]
# An id kept as given (a customer's, a product's, a complaint's); blank is an error.
Reference = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_LENGTH),
                      AfterValidator(_visible)]
