"""TS: values over 200 characters continue in TSVAL1…TSVALn (SDTMIG 3.4 TS assumptions), split between words."""

from crfmap.writers.sdtm.domains.trial_summary import TSVAL_WIDTH, split_tsval


def test_short_value_stays_in_tsval() -> None:
    assert split_tsval("Blinatumomab in children") == ["Blinatumomab in children"]
    assert split_tsval(None) == [None]


def test_long_value_is_split_between_words_and_loses_nothing() -> None:
    words = " ".join(f"word{index:03d}" for index in range(60))  # 479 characters
    parts = split_tsval(words)
    assert len(parts) == 3
    assert all(len(part) <= TSVAL_WIDTH for part in parts)
    assert "".join(parts) == words  # the split keeps every character, spaces included
    assert parts[1].startswith(" word")  # cut at a space, not inside a word


def test_text_without_spaces_is_cut_at_the_limit() -> None:
    parts = split_tsval("x" * 450)
    assert [len(part) for part in parts] == [200, 200, 50]
