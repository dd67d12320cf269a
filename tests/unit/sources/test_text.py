"""Matching normalisation: what must compare equal, and what stored text keeps."""

from __future__ import annotations

import pytest

from crfmap.sources.text import normalize_name, normalize_name_loosely, normalize_text, strip_text


@pytest.mark.parametrize(("left", "right"), [
    ("Фебрильная лихорадка", "  фебрильная\u00a0ЛИХОРАДКА "),
    ("Фебрильная лихорадка", "Фебрильная\u200b лихорадка"),
    ("Фебрильная лихорадка", "Фебрильная\n\tлихорадка"),
    ('"Елочная" сыпь', "“Ёлочная” сыпь"),
    ("Crohn's", "Crohn’s"),
    ("Серьезное", "Серьёзное"),
    ("\u0439", "\u0438\u0306"),  # й precomposed and decomposed (NFC)
])
def test_same_for_matching(left: str, right: str) -> None:
    assert normalize_text(left) == normalize_text(right)


@pytest.mark.parametrize(("left", "right"), [("Тремор", "Тремо"), ("M", "F"), ("и", "й")])
def test_different_for_matching(left: str, right: str) -> None:
    assert normalize_text(left) != normalize_text(right)


def test_names_ignore_punctuation_and_spacing() -> None:
    assert normalize_name("Adverse events") == normalize_name("ADVERSE_EVENTS") == normalize_name("Adverse-Events")
    assert normalize_name("Дата\nрождения") == normalize_name("дата рождения")


def test_loose_names_drop_bracketed_notes_and_marks() -> None:
    assert normalize_name_loosely("Дата рождения (дд.мм.гггг)*") == normalize_name("Дата рождения")
    assert normalize_name_loosely("Blasts [%]") == normalize_name("Blasts")


def test_stored_text_keeps_its_inside() -> None:
    assert strip_text("\u200b  Тремор  рук\u00a0 ") == "Тремор  рук"
