"""Tests de masterclass.utils.notebook : nombres écrits à la française."""

import pytest

from masterclass.utils.notebook import fr, fr_number


@pytest.mark.parametrize(
    "x, fmt, expected",
    [
        (0.5312, ".2f", "0,53"),
        (0.5312, 3, "0,531"),
        (2.4e-6, ".1e", "2,4 × 10⁻⁶"),
        (3.0e12, ".0e", "3 × 10¹²"),
        (109482240, ",d", "109\u202f482\u202f240"),
        (-1234.5, ",.1f", "-1\u202f234,5"),
        (7, "d", "7"),
        (0.0, ".1e", "0"),
        (-0.0, ".2e", "0"),
        (0.0, ".2f", "0,00"),
    ],
)
def test_fr_number(x, fmt, expected):
    assert fr_number(x, fmt) == expected


def test_fr_returns_markdown():
    assert fr(0.25, 2).data == "0,25"
