"""A rule id used twice is reported at the second rule with the line of the first, within a
list and across the lists that share ids (a consent policy's requirements and rules)."""

from __future__ import annotations

import shutil
from pathlib import Path

from finpolicy.validation import validate_pack

PACK = Path(__file__).resolve().parents[2] / "policies" / "cn-banking"


def _pack(tmp_path: Path) -> Path:
    shutil.copytree(PACK, tmp_path / "pack")
    return tmp_path / "pack"


def _line(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines().index(text) + 1


def _duplicates(pack: Path) -> list[tuple[str, int | None, str]]:
    return [(Path(p.file).name, p.line, p.message) for p in validate_pack(pack).problems
            if p.code == "duplicate_rule"]


def test_a_repeated_review_rule_id_names_the_line_of_the_first(tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    access = pack / "access.yaml"
    text = access.read_text(encoding="utf-8")
    first = _line(access, "    - id: review-expired-grant")
    text = text.replace("  review_rules:\n", "  review_rules:\n    - id: Review-Expired-Grant\n"
                        "      when: {field: grant.expired, eq: true}\n"
                        "      finding: expired_grant\n      severity: high\n"
                        "      reason: again\n      cite: pipl Art. 13\n", 1)
    access.write_text(text, encoding="utf-8")
    found = _duplicates(pack)
    assert len(found) == 1
    name, line, message = found[0]
    # the new rule takes the old one's line; the old one moves down 6 lines and is the repeat
    assert (name, line) == ("access.yaml", first + 6)
    assert f"first at line {first}, again here" in message
    assert "`review-expired-grant`" in message


def test_a_requirement_id_reused_by_a_rule_names_the_requirements_line(tmp_path: Path,
                                                                        ) -> None:
    pack = _pack(tmp_path)
    consent = pack / "consent.yaml"
    first = _line(consent, "    - id: consent-basis")
    again = _line(consent, "    - id: unknown-purpose")
    consent.write_text(consent.read_text(encoding="utf-8").replace(
        "    - id: unknown-purpose\n", "    - id: consent-basis\n", 1), encoding="utf-8")
    found = _duplicates(pack)
    assert [(n, line) for n, line, _ in found] == [("consent.yaml", again)]
    assert f"first at line {first}, again here" in found[0][2]
