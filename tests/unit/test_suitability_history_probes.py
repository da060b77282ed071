"""The policy site's version history compares suitability versions on probe customers; all of
them had a birth date, so the change from cn-suitability 2.3.0 to 2.4.0 (an individual whose
age is unknown is sold nothing) read "No suitability decision of the compared cases changes"
to an examiner. A probe with no birth date on file shows it."""

from __future__ import annotations

import finpolicy as fp
from finpolicy.domains.suitability.pictures import suitability_changes


def test_the_history_shows_what_age_unknown_changed(bundle: fp.Bundle) -> None:
    by_version = {d.version: d for d in bundle.versions("cn-suitability")}
    before, after = by_version["2.3.0"], by_version["2.4.0"]
    table = suitability_changes(fp.PolicyEngine(bundle)._runtime, before, after)
    assert "an individual with no birth date on file" in table and "age-unknown" in table

