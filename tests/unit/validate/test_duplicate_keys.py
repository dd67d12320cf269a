"""Identity keys are remembered as 16-byte digests (issue #16: the index of a repeating form is one key per row
while the file is read): the same answers give the same key, different ones never do."""

from __future__ import annotations

from decimal import Decimal

from crfmap.model import Coded, PartialDate
from crfmap.validate.duplicates import WHOLE_ROW, row_key
from crfmap.values.row import FormRow


def row(subject: str | None = "01-001", **values: object) -> FormRow:
    return FormRow(form="labs", sheet="Лаборатория", file="site.xlsx", number=7, subject_id=subject,
                   values=dict(values))  # type: ignore[arg-type]


def test_the_same_answers_give_the_same_digest():
    blast = Coded(codelist="test", value="blasts", display="Blasts")
    spelled = Coded(codelist="test", value="blasts", display="Бласты", verbatim="бласты")
    first = row(test=blast, date=PartialDate(2024, 3, 5), value=Decimal("1.0"))
    again = row(test=spelled, date=PartialDate(2024, 3, 5), value=Decimal("1.00"))
    key = row_key(("test", "date"), first)
    assert isinstance(key, bytes) and len(key) == 16
    assert key == row_key(("test", "date"), again)  # coded by its code, not its spelling
    assert row_key(("value",), first) == row_key(("value",), again)  # 1.0 and 1.00 are one number
    assert row_key(WHOLE_ROW, first) == row_key(WHOLE_ROW, again)


def test_different_answers_subjects_or_columns_never_share_a_digest():
    keys = [
        row_key(("test",), row(test="a\x1fb")),
        row_key(("test",), row(test="a", other="b")),
        row_key(("test", "other"), row(test="a", other="b")),
        row_key(("other", "test"), row(test="b", other="a")),
        row_key(("test",), row(subject="01-002", test="a\x1fb")),
        row_key(("test",), row(test=Decimal(1))),
        row_key(("test",), row(test="1")),
        row_key(("test",), row(test=PartialDate(2024, 3))),
        row_key(("test",), row(test="2024-03")),
        row_key(WHOLE_ROW, row(test="a")),
    ]
    assert None not in keys and len(set(keys)) == len(keys)


def test_an_incomplete_key_or_a_row_without_subject_identifies_nothing():
    assert row_key(("test", "date"), row(test="a")) is None
    assert row_key(("test",), row(subject=None, test="a")) is None
