"""Small helpers shared by the public modules (argument checks, flags)."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Union

from .errors import InvalidArgumentError

Flags = Union[Mapping[str, Any], str, None]


def require_str(name: str, value: Any, *, allow_empty: bool = False) -> str:
    """Return ``value`` if it is a (non-empty) str, else raise.

    TypeError for a wrong type, InvalidArgumentError (a ValueError) for an
    empty string.  The value itself never appears in the message.
    """
    if not isinstance(value, str):
        raise TypeError(
            "%s must be str, not %s" % (name, type(value).__name__)
        )
    if not allow_empty and not value:
        raise InvalidArgumentError("%s must not be empty" % name)
    return value


def optional_str(name: str, value: Any) -> Optional[str]:
    if value is None:
        return None
    return require_str(name, value)


def require_mapping(name: str, value: Any) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(
            "%s must be a dict, not %s" % (name, type(value).__name__)
        )
    return value


def check_keys(
    name: str, options: Mapping[str, Any], allowed: Sequence[str]
) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InvalidArgumentError(
            "unknown %s: %s (expected %s)"
            % (name, ", ".join(map(str, unknown)), ", ".join(allowed))
        )


def _flag_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def flags_string(flags: Flags) -> Optional[str]:
    """``{"country": "DE", "flag": True}`` -> ``"country:DE flag:true"``.

    A str is passed through unchanged; None or an empty dict gives None.
    """
    if flags is None:
        return None
    if isinstance(flags, str):
        return flags or None
    if not isinstance(flags, Mapping):
        raise TypeError(
            "flags must be a dict, not %s" % type(flags).__name__
        )
    parts = ["%s:%s" % (key, _flag_value(value)) for key, value in flags.items()]
    return " ".join(parts) or None
