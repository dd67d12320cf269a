"""sources/slots.py: a frozen slotted dataclass made by setting its slots is the one its __init__ makes."""

from __future__ import annotations

import dataclasses
import io
import pickle

import pytest

from crfmap.model import Coded, Coding, PartialDate, Quantity
from crfmap.model.spool import pickle_dispatch
from crfmap.sources import SourceCell
from crfmap.sources.slots import slot_maker


@dataclasses.dataclass(frozen=True, slots=True)
class Base:
    first: int
    second: str = "b"


@dataclasses.dataclass(frozen=True, slots=True)
class Derived(Base):  # a field's slot declared by the base class
    third: tuple[int, ...] = ()


def test_the_maker_sets_every_field_by_position_base_classes_included():
    make = slot_maker(Derived)
    made = make(1, "two", (3,))
    assert type(made) is Derived and made == Derived(1, "two", (3,))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.first = 2  # still frozen
    with pytest.raises(TypeError):
        make(1, "two")  # every field, no default: values come from a whole object
    assert slot_maker(Base)(5, "x") == Base(5, "x")


def test_values_pickled_through_the_makers_come_back_equal_and_of_their_class():
    cell = SourceCell(file="site.csv", sheet="lab", row=4, column=2, item=("a",), line=5)
    values = [cell, PartialDate(2024, 3), Coding(system="http://loinc.org", code="718-7", display="Hemoglobin"),
              Coded(codelist="sex", value="F", display="Female", submission_value="F",
                    codings=(Coding(system="http://hl7.org/fhir/administrative-gender", code="female"),)),
              Quantity(value=None, unit="g/dL")]
    for value in values:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = pickle_dispatch()
        pickler.dump(value)
        # written as (its class's maker, field values): pickle names the maker
        assert f"_make_{type(value).__name__}".encode() in buffer.getvalue()
        back = pickle.loads(buffer.getvalue())
        assert back == value and type(back) is type(value)
        assert [getattr(back, field.name) for field in dataclasses.fields(back)] == [
            getattr(value, field.name) for field in dataclasses.fields(value)]
