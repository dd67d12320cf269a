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
    assert " ".join(parts) == words  # the parts join back with the one space each split fell on
    assert all(part == part.strip() for part in parts)  # no leading space (FDA FB1501), no trailing one
    assert all(part.split(" ")[-1] in words.split(" ") for part in parts)  # cut at a space, not inside a word


def test_runs_of_spaces_at_the_cut_are_not_carried_into_the_next_part() -> None:
    text = "a" * 199 + "   " + "b" * 10
    assert split_tsval(text) == ["a" * 199, "b" * 10]


def test_text_without_spaces_is_cut_at_the_limit() -> None:
    parts = split_tsval("x" * 450)
    assert [len(part) for part in parts] == [200, 200, 50]
