"""The amount of a sale, as the API takes it and as files and logs write it."""

from __future__ import annotations

import math
import numbers
from decimal import Decimal
from fractions import Fraction
from typing import Any

from finpolicy.errors import InputError
from finpolicy.limits import MAX_AMOUNT

__all__ = ["parse_amount", "written_amount"]

_problem = InputError.one


def parse_amount(value: Any) -> float | None:
    """The amount of a sale as a float (``None`` for none).

    Raises:
        InputError: not a number (a boolean or text is none), not finite, above
            ``MAX_AMOUNT`` or negative, naming ``amount``.
    """
    if value is None:
        return None
    # numpy's numbers too (a column of a DataFrame), as the models take them; no flag, and
    # no fraction (JSON, and so the decision log and replay, write it as text: "1/3")
    if isinstance(value, bool | Fraction) or not isinstance(value, numbers.Real | Decimal):
        raise _problem("amount", f"expected a number, got {type(value).__name__}", "bad_amount",
                       value)
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        number = math.inf
    if not math.isfinite(number) or number > MAX_AMOUNT:
        raise _problem("amount", f"expected a finite number of at most {MAX_AMOUNT:.0e}",
                       "bad_amount", str(value)[:40])
    if number < 0:
        raise _problem("amount", f"must not be negative, got {value}", "negative_amount", value)
    return number


def written_amount(value: Any) -> Any:
    """An amount as a file or a log gives it: a decimal written as text (``"100000.50"``, as
    JSON keeps money exactly, as ``finpolicy serve`` takes it and the decision log records a
    ``Decimal``) is that ``Decimal``; anything else goes to ``parse_amount`` as it is."""
    if not isinstance(value, str):
        return value
    try:
        return Decimal(value)
    except ArithmeticError:  # (decimal.InvalidOperation)
        raise _problem("amount", "expected a number, or a decimal number written as text, "
                       f"got `{value[:40]}`", "bad_amount", value[:40]) from None
