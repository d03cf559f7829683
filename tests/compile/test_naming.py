"""The naming algorithm: short names unchanged, long ones cut with a stable hash suffix."""

from __future__ import annotations

import pytest

from infergraph.naming import MAX_NAME, is_dns_label, object_name

#: Tricky names shared with the chart and jsonnet naming tests.
TRICKY = [
    ("iris", "main", "classifier"),
    ("a" * 30, "b" * 20, "c" * 11),  # exactly 63
    ("a" * 30, "b" * 20, "c" * 12),  # 64: shortened
    ("graph", "p", "x" * 63),
    ("g", "-" * 3, "n"),
]


@pytest.mark.parametrize("parts", TRICKY)
def test_names_fit_and_are_stable(parts: tuple[str, ...]) -> None:
    name = object_name(*parts)
    assert len(name) <= MAX_NAME
    assert name == object_name(*parts)
    joined = "-".join(parts)
    if len(joined) <= MAX_NAME:
        assert name == joined
    else:
        assert name[-9] == "-" and name[:20] == joined[:20]


def test_long_names_sharing_a_prefix_differ() -> None:
    assert object_name("a" * 70, "x") != object_name("a" * 70, "y")


def test_shortened_name_is_a_dns_label() -> None:
    assert is_dns_label(object_name("a" * 50, "b" * 50))
    assert (
        object_name("a" * 50, "b" * 50) == "a" * 50 + "-bbb-" + object_name("a" * 50, "b" * 50)[-8:]
    )
