"""Frozen slotted dataclasses made without their __init__: for hot paths that make many of one class from values
already valid (a cell's position per cell read, a record read back from the spool). A frozen dataclass's
__init__ sets each field through object.__setattr__; setting the slots directly is about three times faster.
Only for classes without __post_init__, which this skips."""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import fields
from typing import Any

SlotSetter = Callable[[object, Any], None]


def slot_setters(cls: type) -> tuple[SlotSetter, ...]:
    """The setters of the class's dataclass fields, in field order (a field's slot may be declared by a base
    class)."""
    return tuple(_slot(cls, item.name).__set__ for item in fields(cls))


def _slot(cls: type, name: str) -> types.MemberDescriptorType:
    for owner in cls.__mro__:
        found = owner.__dict__.get(name)
        if isinstance(found, types.MemberDescriptorType):
            return found
    raise TypeError(f"{cls.__name__}.{name} is not a slot")
