"""Strict JSON request bodies: `application/json` only, decoded by msgspec straight into the schema Struct.

Litestar's default body parsing is lax (it would take `"amount": "100"` or `100.0` for an int). Money must be
an integer, so request bodies are decoded strictly here, in one pass. `StrictJson` plugs into Litestar as a
data DTO only for the two hooks that matter: decoding the raw bytes, and documenting the Struct in OpenAPI
exactly as a plain `data: Struct` would be. Errors surface as msgspec's own `DecodeError` (400
malformed-request) and `ValidationError` (422 validation-error with a JSON Pointer), mapped in problems.py.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import msgspec
from litestar.dto import AbstractDTO
from litestar.typing import FieldDefinition

from interfaces.http.errors import UnsupportedMediaType

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.dto.data_structures import DTOFieldDefinition
    from litestar.openapi.spec import Reference, Schema

T = TypeVar("T", bound=msgspec.Struct)


class StrictJson(AbstractDTO[T], Generic[T]):
    """Use as `@post(..., dto=StrictJson[RequestStruct], return_dto=None)` with `data: RequestStruct`."""

    _decoders: ClassVar[dict[type[Any], msgspec.json.Decoder[Any]]] = {}

    def decode_bytes(self, value: bytes) -> Any:
        content_type = self.asgi_connection.headers.get("content-type", "")
        if not is_json(content_type):
            raise UnsupportedMediaType(content_type.split(";", 1)[0].strip())
        return self._decoder().decode(value)

    def decode_builtins(self, value: dict[str, Any]) -> Any:
        raise UnsupportedMediaType("a form")  # only reached for form bodies, which JSON endpoints refuse

    @classmethod
    def _decoder(cls) -> msgspec.json.Decoder[Any]:
        model_type: type[Any] = cls.model_type
        decoder = cls._decoders.get(model_type)
        if decoder is None:
            decoder = cls._decoders[model_type] = msgspec.json.Decoder(model_type)
        return decoder

    # ---- Litestar's DTO hooks: no transfer models to build, the Struct documents itself ----------------------
    @classmethod
    def create_for_field_definition(
        cls, field_definition: FieldDefinition, handler_id: str, backend_cls: Any = None
    ) -> None:
        return None

    @classmethod
    def create_openapi_schema(
        cls, field_definition: FieldDefinition, handler_id: str, schema_creator: SchemaCreator
    ) -> Reference | Schema:
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(cls.model_type))

    @classmethod
    def generate_field_definitions(cls, model_type: type[Any]) -> Generator[DTOFieldDefinition, None, None]:
        yield from ()

    @classmethod
    def detect_nested_field(cls, field_definition: FieldDefinition) -> bool:
        return False


def is_json(content_type: str) -> bool:
    """`application/json`, with or without parameters, or a `+json` structured syntax suffix."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))
