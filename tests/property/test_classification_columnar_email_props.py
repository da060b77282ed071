"""Tables check e-mail addresses as arrays (one RE2 kernel and two lengths), as the ``email``
detector checks each value: the same answer for addresses, near-misses and any text."""

from __future__ import annotations

import random

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from finpolicy.domains.classification.columnar_facts import _emails, fact_codes
from finpolicy.domains.detectors import DETECTORS, detect_column, email
from finpolicy.testing import fakes

_ATOM_CHARS = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
_AROUND = ["", " ", "\u3000", "\n", "\t ", "\xa0", "x", "@", ".", "，"]


def _address(rng: random.Random) -> str:
    """An address, often at or past a length limit, often a little wrong."""
    if rng.random() < 0.3:
        value = fakes.email(rng)
    else:
        local = ".".join("".join(rng.choice(_ATOM_CHARS) for _ in range(rng.randint(1, 40)))
                         for _ in range(rng.randint(1, 3)))
        labels = ["".join(rng.choice("ab0-") for _ in range(rng.randint(1, 70)))
                  for _ in range(rng.randint(1, 5))]
        value = f"{local}@{'.'.join(labels)}.{rng.choice(['cn', 'com', 'c', 'x' * 63, 'x1'])}"
    if rng.random() < 0.3:  # a character changed, dropped or doubled
        i = rng.randrange(len(value))
        value = value[:i] + rng.choice(["", value[i] * 2, ".", "@", "-", " "]) + value[i + 1:]
    return rng.choice(_AROUND) + value + rng.choice(_AROUND)


def _limits(rng: random.Random) -> str:
    """An address exactly at, or one past, 64 characters before the @ or 254 in all."""
    local = "a" * rng.choice([63, 64, 65])
    domain = ".".join(["b" * 63] * 3) + "." + "c" * rng.randint(50, 70) + ".cn"
    return f"{local}@{domain}"[:rng.choice([253, 254, 255, 256, 400])] if rng.random() < 0.5 \
        else f"{local}@x.cn"


_values = st.one_of(st.randoms(use_true_random=False).map(_address),
                    st.randoms(use_true_random=False).map(_limits),
                    st.text(st.sampled_from(list("ab.@-_ \u3000x9")), max_size=30),
                    st.text(max_size=30))


@settings(max_examples=300)
@given(st.lists(_values, min_size=1, max_size=20))
def test_addresses_are_checked_as_arrays_as_the_detector_checks_each(values: list[str]) -> None:
    assert _emails(pa.array(values, pa.string())).tolist() == [email(v) for v in values]


def test_many_addresses_read_in_a_table_as_one_by_one() -> None:
    rng = random.Random(3)
    values = [rng.choice([_address, _limits])(rng) for _ in range(5_000)]
    assert _emails(pa.array(values, pa.string())).tolist() == [email(v) for v in values]
    assert 500 < sum(map(email, values)) < 4_500  # both answers, many times
    names = sorted(DETECTORS)
    codes = fact_codes(pa.array(values), names, "v")
    for value, code in zip(values, codes, strict=True):
        found = {m.name for m in detect_column([value], names) if m.matched}
        want = 0 if not value.strip() else 1 + sum(1 << i for i, n in enumerate(names)
                                                   if n in found)
        assert code == want, value
