"""Unit tests start with cold wildcard caches, so every test exercises the matching code itself
(a result cached by an earlier test would otherwise answer for it). ``own_cache`` gives a test a
cache folder of its own; ``refuse_to_harden`` makes any further hardening fail the test."""

from __future__ import annotations

import pytest

from wizard.iam import wildcards
from wizard.paths import CACHE_ENV


@pytest.fixture(autouse=True)
def cold_wildcard_caches():
    wildcards.matcher.cache_clear()
    wildcards._covers.cache_clear()
    yield


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """A cache folder of the test's own (kept hardenings, verdicts, parsed templates)."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


def refuse_to_harden(monkeypatch) -> None:
    """From now on, the overlay hardening a template again fails the test: what follows must read
    the kept hardening back."""
    from wizard.overlay import apply

    def refuse(*args, **kwargs):
        raise AssertionError("hardened again")

    monkeypatch.setattr(apply, "harden", refuse)
