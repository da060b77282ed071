"""The public face: every exported name resolves, and nothing private leaks."""

from __future__ import annotations

import finpolicy as fp


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert fp.__all__ == sorted(fp.__all__)
    for name in fp.__all__:
        assert getattr(fp, name) is not None, name


def test_dir_lists_exactly_the_public_names() -> None:
    assert dir(fp) == list(fp.__all__)


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        fp.DoesNotExist  # noqa: B018
    except AttributeError as exc:
        assert "DoesNotExist" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")
