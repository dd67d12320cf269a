"""Text normalisation for matching (code lists, headers, sheet names). Stored text is only stripped.

Matching must forgive what sites cannot see: case, non-breaking spaces, zero-width characters pasted from
web pages, smart quotes from Word, line breaks inside header cells, and ё written as е.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
PLAIN_PUNCTUATION = str.maketrans({
    "\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u2002": " ", "\u2003": " ",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "ё": "е",
})
WHITESPACE_RUN = re.compile(r"\s+")
NOT_WORD = re.compile(r"[\W_]+")
BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
EDGE_CHARACTERS = " \t\r\n\u00a0\u202f\u2007\u2009\u2002\u2003\u200b\u200c\u200d\u2060\ufeff"


def strip_text(text: str) -> str:
    """Stored free text: only the ends are cleaned (spaces, NBSP, zero-width characters)."""
    return text.strip(EDGE_CHARACTERS)


@lru_cache(maxsize=16_384)  # sites repeat the same few spellings down a column
def normalize_text(text: str) -> str:
    """The matching form of a text: NFC, no zero-width characters, plain quotes and spaces, casefolded,
    ё → е, inner whitespace collapsed, ends stripped."""
    text = unicodedata.normalize("NFC", text).translate(ZERO_WIDTH)
    text = text.casefold().translate(PLAIN_PUNCTUATION)
    return WHITESPACE_RUN.sub(" ", text).strip()


def normalize_name(text: str) -> str:
    """The matching form of a sheet name or header: `normalize_text` without punctuation or spaces, so
    'Adverse events', 'ADVERSE_EVENTS' and 'Adverse-Events' are one name."""
    return NOT_WORD.sub("", normalize_text(text))


def normalize_name_loosely(text: str) -> str:
    """A header without its bracketed notes and required marks: 'Дата рождения (дд.мм.гггг)*'."""
    return normalize_name(BRACKETED.sub(" ", text))
