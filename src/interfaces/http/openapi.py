"""OpenAPI documentation helpers: the problem schema, the security schemes, and what Litestar cannot infer.

`tests/e2e/test_fuzz_openapi.py` holds every operation to this document (status codes, bodies, problem JSON).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING

import msgspec

# Litestar's own Struct plugin; subclassed below, since its public plugin API would mean rewriting it whole.
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from msgspec import Struct

from infrastructure.providers import catalogue
from interfaces.http.idempotency import IDEMPOTENCY_KEY
from interfaces.http.openapi_constraints import restore_lost_constraints
from interfaces.http.problems import PROBLEM_JSON

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.typing import FieldDefinition

SECURITY: list[SecurityRequirement] = [{"bearer": []}, {"api_key": []}]

COMPONENTS = Components(
    security_schemes={
        "bearer": SecurityScheme(type="http", scheme="bearer", description="`Authorization: Bearer <api key>`"),
        "api_key": SecurityScheme(type="apiKey", name="X-API-Key", security_scheme_in="header"),
    }
)


class ValidationIssue(Struct, kw_only=True, omit_defaults=True):
    detail: str
    pointer: str | None = None
    parameter: str | None = None


class ProblemDetails(Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details; `type` ends in `/problems/<slug>`, described at `GET /problems/<slug>`."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    errors: list[ValidationIssue] | None = None
    reasons: list[str] | None = None  # payment-blocked: the risk rules (and scorer reasons) that blocked it


# What a status means where a request the schema allows is still refused: no schema can say which cursors this
# API issued or which Idempotency-Keys came before, so the description names the problem type instead.
LIST_REFUSED = "`validation-error`: a parameter is out of range, or `cursor` is not a `next_cursor` this API answered"
KEY_REUSED = "`idempotency-key-reuse` (this `Idempotency-Key` came before with a different request)"
KEY_IN_USE = "`idempotency-key-in-use` (the first request with this `Idempotency-Key` is still running)"


def success(model: type[Struct], description: str) -> ResponseSpec:
    """A JSON success response. Litestar would otherwise fill the document with random example values (a
    different document on every start, with statuses and currencies no payment can have)."""
    return ResponseSpec(model, description=description, generate_examples=False)


def problem_responses(*statuses: int, described: Mapping[int, str] | None = None) -> dict[int, ResponseSpec]:
    """Problem responses for `statuses`, plus the 400 and 500 any route can answer (and Litestar would
    otherwise document in its own, non-problem shape). A route that authenticates (401) is also rate limited
    per API key right after authentication (429). `described`: what a status means on this route (e.g. which
    problem types it carries), instead of the status's phrase."""
    implied = {429} if 401 in statuses else set()
    descriptions = described or {}
    return {
        status: ResponseSpec(
            ProblemDetails,
            description=descriptions.get(status, HTTPStatus(status).phrase),
            media_type=PROBLEM_JSON,
            generate_examples=False,
        )
        for status in sorted({400, 500, *statuses, *implied})
    }


@dataclass
class RawWebhookBodyOperation(Operation):
    """For a handler that reads the raw body itself (webhooks verify a signature over the exact bytes), so
    Litestar sees no `data` parameter to document: the body is the provider's event, in a media type some
    provider sends (the catalogue's plugins say which)."""

    def __post_init__(self) -> None:
        if self.request_body is None:
            event = Schema(type=OpenAPIType.OBJECT, description="The provider's event, exactly as it was signed")
            content = {kind: OpenAPIMediaType(schema=event) for kind in catalogue.all_webhook_media_types()}
            self.request_body = RequestBody(content=content, required=True)


@dataclass
class IdempotencyKeyRequiredOperation(Operation):
    """For a route that requires `Idempotency-Key` (refunds). The handler checks it itself, so that a missing
    key is answered 400 idempotency-key-required rather than a generic 422, and Litestar therefore documents
    the header as optional."""

    def __post_init__(self) -> None:
        for parameter in self.parameters or ():
            if isinstance(parameter, Parameter) and parameter.name == IDEMPOTENCY_KEY:
                parameter.required = True


class ClosedStructSchemaPlugin(StructSchemaPlugin):
    """Request Structs declared `forbid_unknown_fields=True` are documented with `additionalProperties: false`.
    Litestar's plugin leaves it out, which documents unknown members as accepted while the app answers 422."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        if not super().is_plugin_supported_field(field_definition):
            return False
        config: msgspec.structs.StructConfig = field_definition.type_.__struct_config__
        return config.forbid_unknown_fields

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        restore_lost_constraints(schema, field_definition.type_)
        return schema
