"""The text report's one-line fast path gives exactly what textwrap gives, for any text, width and indent."""

from __future__ import annotations

import textwrap

from hypothesis import given, settings
from hypothesis import strategies as st

from crfmap.issues.text import _wrap

# spaces of every kind textwrap knows, a non-breaking space it does not, letters, Cyrillic, punctuation
ALPHABET = st.sampled_from(list(" \t\n\r\x0b\x0c\u00a0abcXYZ.,:;'-—дата0123"))


@settings(max_examples=3000, deadline=None)
@given(text=st.text(ALPHABET, max_size=140), width=st.integers(0, 120),
       first=st.sampled_from(["", "    ", "  "]), rest=st.sampled_from(["", "    "]))
def test_wrap_matches_textwrap(text, width, first, rest):
    expected = textwrap.wrap(text, width=max(40, width), initial_indent=first, subsequent_indent=rest,
                             break_long_words=False, break_on_hyphens=False) or [first.rstrip()]
    assert _wrap(text, width, first, rest) == expected
