"""The consent form template parser: its property-based fuzzing lives with its other tests,
in tests/core/test_consent_forms.py (random bytes, and random JSON in the shape of a
template, 300 examples each). What those strategies cannot make is found here: an integer
too long for Python's ``int()`` (more than 4300 digits) is valid JSON, and ``json.loads``
refuses it with a plain ``ValueError``, not ``JSONDecodeError``.
"""

from __future__ import annotations

import pytest

from relations_desktop.core.consent.forms import parse_template
from relations_desktop.core.errors import InvalidInput

pytestmark = pytest.mark.timeout(30)  # a bound on every test here


def test_a_template_with_a_huge_number_is_refused_cleanly() -> None:
    with pytest.raises(InvalidInput):
        parse_template(b'{"title": ' + b"7" * 5000 + b"}")
