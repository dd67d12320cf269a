"""Frozen slotted dataclasses made without their __init__: for hot paths that make many of one class from values
already valid (a cell's position per cell read, a record read back from the spool, an issue from a packed
block). A frozen dataclass's __init__ sets each field through object.__setattr__; setting the slots directly is
about three times faster. Only for classes without __post_init__, which this skips."""

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


def slot_maker(cls: type) -> Callable[..., Any]:
    """A function of the class's field values, by position, that makes an instance by setting its slots: one call
    per object, the setters unrolled (no loop over them, no tuple of values to unpack): about twice as fast as a
    loop when many are made (a spool's records read back)."""
    count = len(fields(cls))
    arguments = ", ".join(f"v{index}" for index in range(count))
    body = "".join(f"    set{index}(made, v{index})\n" for index in range(count))
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    namespace.update({f"set{index}": setter for index, setter in enumerate(slot_setters(cls))})
    exec(f"def make({arguments}):\n    made = new(cls)\n{body}    return made\n", namespace)  # noqa: S102
    maker: Callable[..., Any] = namespace["make"]
    return maker
