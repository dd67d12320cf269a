"""Cyrillic to Latin transliteration for SAS XPORT, used only when the mapping asks for it.

The table follows ICAO Doc 9303 (machine-readable travel documents, 7th edition, 2015), which is also what
Russian passports use since 2014: one fixed spelling per letter, ASCII only, no diacritics (unlike
GOST 7.79 system A). Examples: Ж→ZH, Х→KH, Ц→TS, Щ→SHCH, Ю→IU, Я→IA, Ъ→IE, Ь dropped, Ё→E, Й→I.
Ukrainian/Belarusian letters І, Ї, Є, Ґ, Ў are included. Case is kept: a capital whose next letter is lower
case becomes "Zh", otherwise "ZH" (so "ЖАР" → "ZHAR", "Жар" → "Zhar").

Latin letters with diacritics lose them (é→e, through Unicode NFKD), and a few typographic marks become
their ASCII look-alikes (– → -, « » → "). Anything still outside ASCII is left as it is, so the XPT
check reports it (W002): transliteration never drops a character silently.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "ie", "ы": "y",
    "ь": "", "э": "e", "ю": "iu", "я": "ia", "і": "i", "ї": "i", "є": "ie", "ґ": "g", "ў": "u",
}
_MARKS = {
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00ab": '"', "\u00bb": '"', "\u201c": '"', "\u201d": '"',
    "\u201e": '"', "\u2018": "'", "\u2019": "'", "\u00a0": " ", "\u2026": "...", "\u2116": "No.",
}


@lru_cache(maxsize=65_536)  # a site's texts repeat on thousands of rows (terms, treatment names)
def transliterate_text(text: str) -> str:
    """`text` with Cyrillic letters, accents and typographic marks turned into ASCII where the table knows them."""
    if text.isascii():
        return text
    pieces = []
    for index, character in enumerate(text):
        pieces.append(_transliterate_character(character, text[index + 1:index + 2]))
    return "".join(pieces)


def _transliterate_character(character: str, following: str) -> str:
    if character.isascii():
        return character
    lower = character.lower()
    if lower in _CYRILLIC:
        latin = _CYRILLIC[lower]
        if character == lower:
            return latin
        return latin.capitalize() if following.islower() else latin.upper()
    if character in _MARKS:
        return _MARKS[character]
    stripped = "".join(part for part in unicodedata.normalize("NFKD", character) if not unicodedata.combining(part))
    return stripped if stripped.isascii() and stripped else character
