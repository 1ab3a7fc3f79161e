"""Checks of rendered JSON against the shapes of whatsapp.shapes: exact keys, order and types."""

import json
import types
from typing import (
    Annotated,
    Any,
    Literal,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)


def assert_has_shape(value: Any, hint: Any, path: str = "$") -> None:
    """``value`` is what ``hint`` says: a shape's keys in its order, nested shapes alike."""
    if get_origin(hint) is Annotated:
        hint = get_args(hint)[0]
    if get_origin(hint) in (Union, types.UnionType):
        options = get_args(hint)
        if value is None:
            assert type(None) in options, f"{path} is null"
            return
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                assert_has_shape(value, option, path)
                return
            except AssertionError as error:
                errors.append(str(error))
        raise AssertionError(f"{path} matches none of {options}: {errors}")
    if is_typeddict(hint):
        hints = get_type_hints(hint, include_extras=True)
        assert isinstance(value, dict), f"{path} is not an object"
        assert list(value) == list(hints), f"{path}: keys {list(value)} not {list(hints)}"
        for key, key_hint in hints.items():
            assert_has_shape(value[key], key_hint, f"{path}.{key}")
    elif get_origin(hint) is list:
        assert isinstance(value, list), f"{path} is not a list"
        for index, item in enumerate(value):
            assert_has_shape(item, get_args(hint)[0], f"{path}[{index}]")
    elif get_origin(hint) is Literal:
        assert value in get_args(hint), f"{path}: {value!r} not one of {get_args(hint)}"
    else:
        assert type(value) is hint, f"{path}: {value!r} is not {hint.__name__}"


def same_json(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` encode to the same JSON text: keys, order and values."""
    return json.dumps(a) == json.dumps(b)
