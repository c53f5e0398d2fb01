"""One or many: policy documents and templates write a single value where a list is allowed
(``"Action": "s3:GetObject"``). ``as_list`` reads both as a list."""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list:
    """``value`` itself when it is a list, else a list of that one value (``None`` included)."""
    return value if isinstance(value, list) else [value]
