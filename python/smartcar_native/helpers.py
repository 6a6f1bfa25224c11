"""``smartcar.helpers`` of the official SDK: its public helpers.

(The official ``requester`` is the HTTP layer of that SDK; here
libsmartcar does the HTTP and there is no equivalent.)
"""

from __future__ import annotations

import os
from typing import Tuple

from . import _core, _util
from .options import Flags

__all__ = ["validate_env", "format_flag_query",
           "format_path_and_attribute_for_batch"]


def validate_env(mode: str = "live") -> None:
    """Raise when the client id or secret variable is missing
    (``E2E_SMARTCAR_*`` outside live mode, as the official helper)."""
    prefix = "SMARTCAR" if mode == "live" else "E2E_SMARTCAR"
    names = ["%s_CLIENT_ID" % prefix, "%s_CLIENT_SECRET" % prefix]
    if any(name not in os.environ for name in names):
        raise Exception('"%s" and "%s" environment variables must be set'
                        % tuple(names))


def format_flag_query(flags: Flags) -> str:
    """``{"a": True, "b": "x"}`` -> ``"a:true b:x"``."""
    return _util.flags_string(flags) or ""


def format_path_and_attribute_for_batch(raw_path: str) -> Tuple[str, str]:
    """A batch path -> (path without the leading slash, the attribute of
    the batch result that holds it): ``"/engine/oil"`` ->
    ``("engine/oil", "engine_oil")``, as batch results name them."""
    path = raw_path[1:] if raw_path.startswith("/") else raw_path
    return path, _core.batch_name(path)[1]
