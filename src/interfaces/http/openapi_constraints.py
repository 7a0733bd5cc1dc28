"""What Litestar's Struct schemas leave out of the OpenAPI document, put back from msgspec's own view of the
Struct, so that a request the document calls valid is one the app accepts.

Litestar drops a bound of 0 from an optional number (`amount: Amount | None` lost its `gt=0`, documenting
negative refunds as valid) and every constraint on a dict's keys and values (metadata keys of 1-40 characters,
values up to 500, at most 50 of them). Optional numbers get their bounds on the integer branch itself, where a
generator reads them as integer bounds (outside the `oneOf` they read as any number's: `8101.0`, which JSON
Schema calls an integer and msgspec does not).
"""

from __future__ import annotations

from typing import Any

import msgspec.inspect as mi
from litestar.openapi.spec import OpenAPIType, Schema


def restore_lost_constraints(schema: Schema, struct: type[Any]) -> None:
    for field in mi.type_info(struct).fields:  # type: ignore[attr-defined]
        documented = (schema.properties or {}).get(field.encode_name)
        if not isinstance(documented, Schema):
            continue
        kind = _bare(field.type)
        if isinstance(kind, mi.UnionType):
            _bound_integer_branch(documented, [_bare(member) for member in kind.types])
        elif isinstance(kind, mi.DictType):
            _constrain_dict(documented, kind)


def _bare(kind: mi.Type) -> mi.Type:
    return kind.type if isinstance(kind, mi.Metadata) else kind


def _bound_integer_branch(documented: Schema, members: list[mi.Type]) -> None:
    integer = next((member for member in members if isinstance(member, mi.IntType)), None)
    branch = next((s for s in documented.one_of or () if isinstance(s, Schema) and s.type == OpenAPIType.INTEGER), None)
    if integer is None or branch is None:
        return
    branch.exclusive_minimum, branch.minimum = integer.gt, integer.ge
    branch.exclusive_maximum, branch.maximum = integer.lt, integer.le
    documented.exclusive_minimum = documented.minimum = documented.exclusive_maximum = documented.maximum = None


def _constrain_dict(documented: Schema, kind: mi.DictType) -> None:
    documented.max_properties, documented.min_properties = kind.max_length, kind.min_length
    key, value = _bare(kind.key_type), _bare(kind.value_type)
    if isinstance(key, mi.StrType):
        documented.property_names = _string(key)
    if isinstance(value, mi.StrType):
        documented.additional_properties = _string(value)


def _string(kind: mi.StrType) -> Schema:
    return Schema(type=OpenAPIType.STRING, min_length=kind.min_length, max_length=kind.max_length, pattern=kind.pattern)
