"""PAYMENTS_API_KEYS: the keys configured in the environment (JSON), each with a name and scopes; every mistake
is one line, reported with the other settings' mistakes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from application.data.api_keys import SCOPES
from infrastructure.config_reader import EnvReader


@dataclass(frozen=True, slots=True)
class ConfiguredApiKey:
    name: str
    key: str = field(repr=False)
    scopes: tuple[str, ...]


def read_api_keys(reader: EnvReader) -> tuple[ConfiguredApiKey, ...]:
    raw = reader.text("API_KEYS")
    if raw is None:
        return ()
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as error:
        reader.problem("API_KEYS", f"is not valid JSON ({error.msg} at position {error.pos})")
        return ()
    if not isinstance(items, list):
        reader.problem("API_KEYS", 'must be a JSON list like [{"name": "orders", "key": "…", "scopes": [...]}]')
        return ()
    keys: list[ConfiguredApiKey] = []
    for index, item in enumerate(items):
        key = _api_key(reader, index, item)
        if key is not None:
            keys.append(key)
    if len({k.name for k in keys}) != len(keys):
        reader.problem("API_KEYS", "uses a name twice")
    return tuple(keys)


def _api_key(reader: EnvReader, index: int, item: Any) -> ConfiguredApiKey | None:
    where = f"entry {index}"
    if not isinstance(item, dict):
        reader.problem("API_KEYS", f"{where} must be an object with name, key and scopes")
        return None
    name, key, scopes = item.get("name"), item.get("key"), item.get("scopes")
    if not isinstance(name, str) or not name:
        reader.problem("API_KEYS", f"{where} needs a non-empty string 'name'")
        return None
    if not isinstance(key, str) or len(key) < 16:
        reader.problem("API_KEYS", f"{where} ({name}) needs a 'key' of at least 16 characters")
        return None
    if not isinstance(scopes, list) or not scopes or any(s not in SCOPES for s in scopes):
        reader.problem("API_KEYS", f"{where} ({name}) needs 'scopes' from {', '.join(SCOPES)}")
        return None
    return ConfiguredApiKey(name, key, tuple(scopes))
