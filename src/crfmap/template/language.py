"""Which spelling a template shows: the site's language picked from the spellings a mapping already accepts.

A mapping lists, for each column, its label and the headers sites write, and for each code list value its
display and synonyms, in any language, untagged. A template for a language shows the first spelling written in
that language's script (Cyrillic for ru, uk, be, bg, sr, kk; Latin otherwise) and falls back to the label or
display. Whatever it shows, validation accepts, because it is one of the mapping's own spellings.
"""

from __future__ import annotations

import unicodedata

CYRILLIC_LANGUAGES = frozenset({"ru", "uk", "be", "bg", "sr", "kk", "ky", "mk", "mn", "tg"})
WORDS = {
    "en": {"yes": "Yes", "no": "No", "instructions": "Instructions", "lists": "Lists"},
    "ru": {"yes": "Да", "no": "Нет", "instructions": "Инструкция", "lists": "Списки"},
}


def script_of(text: str) -> str | None:
    """'cyrillic', 'latin', or None for text without letters."""
    for character in text:
        if character.isalpha():
            name = unicodedata.name(character, "")
            if name.startswith("CYRILLIC"):
                return "cyrillic"
            if name.startswith("LATIN"):
                return "latin"
    return None


def wanted_script(language: str) -> str:
    return "cyrillic" if language.split("-")[0].lower() in CYRILLIC_LANGUAGES else "latin"


def pick_spelling(preferred: str, others: list[str], language: str) -> str:
    """The preferred spelling if it is in the language's script, else the first other one that is."""
    script = wanted_script(language)
    for text in (preferred, *others):
        if text and script_of(text) == script:
            return text
    return preferred


def word(language: str, key: str) -> str:
    return WORDS.get(language.split("-")[0].lower(), WORDS["en"])[key]
