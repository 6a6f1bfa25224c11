"""``smartcar.exception`` of the official SDK: :class:`SmartcarException`.

Every error smartcar_native raises is a :class:`SmartcarException`; the
typed subclasses live in :mod:`smartcar_native.errors`.
"""

from __future__ import annotations

from .errors import SmartcarException as SmartcarException

__all__ = ["SmartcarException"]
