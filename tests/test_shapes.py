"""whatsapp.shapes: serializers derived from TypedDicts document every key and render by the
shape's writer alone."""

import importlib
from types import SimpleNamespace
from typing import Annotated, Literal, TypedDict, get_type_hints

import pytest
from django.conf import settings
from rest_framework import serializers

from whatsapp.shapes import ShapeSerializer, Timestamp, field_for


class _PointJSON(TypedDict):
    x: int
    label: str | None


def _point_json(point) -> _PointJSON:
    return {"x": point.x, "label": point.label}


class _PointSerializer(ShapeSerializer):
    shape = _PointJSON
    writer = _point_json


class _Unregistered(TypedDict):
    x: int


def test_type_hints_become_read_only_fields():
    fields = {
        "count": field_for(int),
        "name": field_for(str | None),
        "flag": field_for(bool),
        "kind": field_for(Literal["a", "b"]),
        "at": field_for(Timestamp | None),
        "point": field_for(_PointJSON | None),
        "points": field_for(list[_PointJSON]),
        "help": field_for(Annotated[str, serializers.CharField(read_only=True, help_text="h")]),
    }

    assert all(field.read_only for field in fields.values())
    assert isinstance(fields["count"], serializers.IntegerField)
    assert not fields["count"].allow_null
    assert isinstance(fields["name"], serializers.CharField) and fields["name"].allow_null
    assert isinstance(fields["flag"], serializers.BooleanField)
    assert list(fields["kind"].choices) == ["a", "b"]
    assert isinstance(fields["at"], serializers.DateTimeField) and fields["at"].allow_null
    assert isinstance(fields["point"], _PointSerializer) and fields["point"].allow_null
    assert isinstance(fields["points"].child, _PointSerializer)
    assert fields["help"].help_text == "h"


def test_an_annotation_leaves_its_template_alone():
    field_for(Timestamp | None)

    assert not field_for(Timestamp).allow_null


def test_a_writable_field_does_not_document_an_output():
    with pytest.raises(TypeError, match="read_only"):
        field_for(Annotated[str, serializers.CharField()])


def test_a_type_without_a_field_is_refused():
    with pytest.raises(TypeError):
        field_for(float)
    with pytest.raises(LookupError, match="_Unregistered"):
        field_for(_Unregistered)


def test_nested_and_listed_shape_serializers_render_by_the_writer():
    class PathSerializer(serializers.Serializer):
        start = _PointSerializer()
        stops = _PointSerializer(many=True)

    start = SimpleNamespace(x=1, label=None)
    stop = SimpleNamespace(x=2, label="b")

    data = PathSerializer(SimpleNamespace(start=start, stops=[stop])).data

    assert data == {"start": {"x": 1, "label": None}, "stops": [{"x": 2, "label": "b"}]}


def test_every_shape_serializer_documents_its_shape_keys_in_order():
    for app in settings.INSTALLED_APPS:
        try:
            importlib.import_module(f"{app}.serializers")
        except ModuleNotFoundError as error:
            if error.name != f"{app}.serializers":
                raise
    shape_serializers = [cls for cls in _subclasses(ShapeSerializer) if "shape" in vars(cls)]

    names = {cls.__name__ for cls in shape_serializers}
    assert {"MessageSerializer", "GroupMessageSerializer", "ChatRowSerializer"} <= names
    assert {"MultimediaSerializer", "PublicProfileSerializer", "GroupMemberSerializer"} <= names
    for cls in shape_serializers:
        fields = cls().fields
        assert list(fields) == list(get_type_hints(cls.shape)), cls
        assert all(field.read_only for field in fields.values()), cls


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in [direct, *_subclasses(direct)]]
