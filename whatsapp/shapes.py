"""JSON shapes written once: a ``TypedDict`` names the keys in the order they are written, a
writer function fills them, and the read-only serializer views name in ``extend_schema`` is
derived from the two.

The writers are the only renderers, for REST and frames alike: DRF's field-by-field rendering
cost several ms a message (docs/performance.md). A :class:`ShapeSerializer`'s
``to_representation`` calls the writer, so rendering it, with ``many=True`` or nested in a
DRF serializer, does no work per field; its fields exist for the schema. They come from the
type hints: ``int``, ``str`` and ``bool``; a ``Literal`` of strings is a choice; ``X | None``
is nullable; a nested shape is that shape's serializer and ``list[Shape]`` the same with
``many=True``; ``Annotated[X, field]`` takes a read-only DRF field where the schema says more
than the type (a format, help text), as :data:`Timestamp` does.
"""

import copy
import types
from collections.abc import Callable
from typing import (
    Annotated,
    Any,
    ClassVar,
    Literal,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from rest_framework import serializers

# A moment as whatsapp.timestamps.timestamp writes it (the format DRF's DateTimeField writes).
Timestamp = Annotated[str, serializers.DateTimeField(read_only=True)]

_PLAIN_FIELDS: dict[type, type[serializers.Field]] = {
    int: serializers.IntegerField,
    str: serializers.CharField,
    bool: serializers.BooleanField,
}
_serializer_of_shape: dict[type, type["ShapeSerializer"]] = {}


# No docstring: drf-spectacular would take it as the description of every shape without one.
class ShapeSerializer(serializers.Serializer):
    # A subclass sets ``shape`` (a TypedDict) and ``writer`` (a function of one instance
    # returning it), or overrides to_representation when its writer needs the context.
    shape: ClassVar[type]
    writer: ClassVar[Callable[[Any], Any]]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "shape" in vars(cls):
            _serializer_of_shape[cls.shape] = cls

    def get_fields(self) -> dict[str, serializers.Field]:
        hints = get_type_hints(self.shape, include_extras=True)
        return {name: field_for(hint) for name, hint in hints.items()}

    def to_representation(self, instance):
        return type(self).writer(instance)


def serializer_for(shape: type) -> type[ShapeSerializer]:
    """The serializer declared for ``shape``."""
    try:
        return _serializer_of_shape[shape]
    except KeyError:
        raise LookupError(f"No ShapeSerializer declares shape = {shape.__name__}") from None


def field_for(hint: Any) -> serializers.Field:
    """The read-only field that documents a value of type ``hint``."""
    hint, nullable = _without_none(hint)
    if get_origin(hint) is Annotated:
        base, field = get_args(hint)[:2]
        _, base_nullable = _without_none(base)
        if not field.read_only:
            raise TypeError(f"{field!r} documents an output: make it read_only")
        # A fresh copy per serializer: the nullability comes from the hint, not the template.
        field = copy.deepcopy(field)
        field.allow_null = field.allow_null or nullable or base_nullable
        return field
    if get_origin(hint) is Literal:
        return serializers.ChoiceField(
            choices=list(get_args(hint)), read_only=True, allow_null=nullable
        )
    if is_typeddict(hint):
        return serializer_for(hint)(read_only=True, allow_null=nullable)
    if get_origin(hint) is list and is_typeddict(get_args(hint)[0]):
        return serializer_for(get_args(hint)[0])(many=True, read_only=True, allow_null=nullable)
    if hint in _PLAIN_FIELDS:
        return _PLAIN_FIELDS[hint](read_only=True, allow_null=nullable)
    raise TypeError(f"No field for {hint!r}: annotate it with a DRF field")


def _without_none(hint: Any) -> tuple[Any, bool]:
    """``hint`` without ``| None``, and whether it had it."""
    if get_origin(hint) not in (Union, types.UnionType):
        return hint, False
    args = tuple(arg for arg in get_args(hint) if arg is not type(None))
    nullable = len(args) < len(get_args(hint))
    if len(args) == 1:
        return args[0], nullable
    return Union[args], nullable  # noqa: UP007 (a union built at run time)
