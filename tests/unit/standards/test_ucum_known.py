"""The units is_valid_ucum answers without its parser are each valid by the full UCUM grammar."""

from __future__ import annotations

import pytest
from lark.exceptions import LarkError

from crfmap.standards.ucum import KNOWN_VALID, _parser


@pytest.mark.parametrize("code", sorted(KNOWN_VALID))
def test_each_known_unit_parses_with_the_ucum_grammar(code: str) -> None:
    try:
        _parser().parse(code)
    except LarkError as problem:
        pytest.fail(f"{code!r} is not valid UCUM: {problem}")
