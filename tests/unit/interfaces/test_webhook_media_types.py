"""The webhook route takes the media types its provider sends (the plugin says which), and nothing else."""

from __future__ import annotations

import pytest

from infrastructure.providers import catalogue
from interfaces.http.controllers.webhooks import accepts

JSON = ("application/json",)
FORM = ("application/x-www-form-urlencoded",)  # Mollie's webhooks: `id=tr_…`


@pytest.mark.parametrize(
    ("content_type", "media_types", "accepted"),
    [
        ("application/json", JSON, True),
        ("Application/JSON; charset=utf-8", JSON, True),
        ("application/cloudevents+json", JSON, True),  # a +json suffix, as every JSON endpoint takes
        ("application/x-www-form-urlencoded", JSON, False),
        ("text/plain", JSON, False),
        ("", JSON, False),
        ("application/x-www-form-urlencoded; charset=UTF-8", FORM, True),
        ("application/json", FORM, False),
        ("multipart/form-data; boundary=x", FORM, False),
        ("application/json", JSON + FORM, True),
        ("application/x-www-form-urlencoded", JSON + FORM, True),
    ],
)
def test_accepts_only_the_providers_media_types(
    content_type: str, media_types: tuple[str, ...], accepted: bool
) -> None:
    assert accepts(content_type, media_types) is accepted


def test_each_provider_has_its_own_and_an_unknown_name_gets_json_then_its_404() -> None:
    for plugin in catalogue.PROVIDERS:
        assert catalogue.webhook_media_types(plugin.name) == plugin.webhook_media_types
    assert catalogue.webhook_media_types("acme") == JSON
