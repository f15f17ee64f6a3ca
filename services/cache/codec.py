"""Exact, safe serialisation of query results for the cache: JSON with type tags.

Decimal, date, datetime, enums, tuples and dataclasses carry a tag, so they come back as the
same types with the same values (a Decimal stays a Decimal, never a float). Only registered
dataclass and enum types are rebuilt; anything else in a stored entry is refused, so nothing read
from Redis can construct arbitrary objects (no pickle).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import db.queries

_TYPES: dict[str, type] = {}


class CodecError(ValueError):
    """A value cannot be encoded, or a stored entry cannot be decoded."""


def type_name(cls: type) -> str:
    """The registry name of a type: `module:QualName`."""
    return f"{cls.__module__}:{cls.__qualname__}"


def register_type(cls: type) -> type:
    """Allow a frozen dataclass or enum type in cached values (usable as a decorator)."""
    is_frozen_dataclass = dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]  # not in typeshed
    if not (is_frozen_dataclass or (isinstance(cls, type) and issubclass(cls, enum.Enum))):
        raise TypeError(f"{cls!r} is neither a frozen dataclass nor an enum; only those can be cached")
    _TYPES[type_name(cls)] = cls
    return cls


def _register_query_types() -> None:
    # Every result type `db.queries` exports, so a new query result is cacheable without a list here.
    for value in vars(db.queries).values():
        if isinstance(value, type) and (dataclasses.is_dataclass(value) or issubclass(value, enum.Enum)):
            register_type(value)


def _encode(value: Any) -> Any:
    # Enums first: a StrEnum is also a str, and it must come back as the enum.
    if isinstance(value, enum.Enum):
        return {"$enum": _allowed(type(value)), "v": _encode(value.value)}
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, tuple):
        return {"$tuple": [_encode(item) for item in value]}
    if isinstance(value, Mapping):
        return {"$map": [[_encode(key), _encode(item)] for key, item in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return {"$dc": _allowed(type(value)), "f": fields}
    raise CodecError(f"cannot cache a value of type {type(value).__name__} (floats and plain objects are refused)")


def _allowed(cls: type) -> str:
    name = type_name(cls)
    if _TYPES.get(name) is not cls:
        raise CodecError(f"{name} is not a registered cache type; call services.cache.codec.register_type")
    return name


def _decode(node: Any) -> Any:
    if isinstance(node, list):
        return [_decode(item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$dec" in node:
        return Decimal(node["$dec"])
    if "$date" in node:
        return date.fromisoformat(node["$date"])
    if "$dt" in node:
        return datetime.fromisoformat(node["$dt"])
    if "$tuple" in node:
        return tuple(_decode(item) for item in node["$tuple"])
    if "$map" in node:
        return {_decode(key): _decode(item) for key, item in node["$map"]}
    if "$enum" in node:
        return _lookup(node["$enum"])(_decode(node["v"]))
    if "$dc" in node:
        return _lookup(node["$dc"])(**{name: _decode(item) for name, item in node["f"].items()})
    raise CodecError(f"unknown tag in cached entry: {sorted(node)!r}")


def _lookup(name: str) -> type:
    cls = _TYPES.get(name)
    if cls is None:
        raise CodecError(f"cached entry names type {name!r}, which is not registered")
    return cls


def dumps(value: Any) -> bytes:
    """Encode a value to tagged JSON bytes."""
    return json.dumps(_encode(value), separators=(",", ":"), sort_keys=True).encode()


def loads(payload: bytes | str) -> Any:
    """Decode tagged JSON back to the exact types it was made from."""
    try:
        return _decode(json.loads(payload))
    except (ValueError, TypeError, KeyError) as exc:
        raise CodecError(f"cached entry is not valid: {exc}") from exc


def params_hash(params: Mapping[str, Any]) -> str:
    """A short, stable hash of query parameters (same parameters, same hash, in any order)."""
    return hashlib.sha256(dumps(dict(sorted(params.items())))).hexdigest()[:16]


_register_query_types()
