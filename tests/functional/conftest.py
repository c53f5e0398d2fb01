"""Functional tests of the Textual wizard: typed answers reach the panel without a timer."""

from __future__ import annotations

import pytest

from screens.questions.question import QuestionScreen


@pytest.fixture(autouse=True)
def immediate_panel(monkeypatch):
    """Typed answers update the panel at once (no debounce timer), so tests need not wait for time."""
    monkeypatch.setattr(QuestionScreen, "DEBOUNCE_SECONDS", 0)
