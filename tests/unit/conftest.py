"""Unit tests start with cold wildcard caches, so every test exercises the matching code itself
(a result cached by an earlier test would otherwise answer for it)."""

from __future__ import annotations

import pytest

from wizard.iam import wildcards


@pytest.fixture(autouse=True)
def cold_wildcard_caches():
    wildcards.matcher.cache_clear()
    wildcards._covers.cache_clear()
    yield
