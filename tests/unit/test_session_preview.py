"""The session's previews from several threads: one computation per preview, on a snapshot of the
session, so an answer recorded meanwhile never mixes into a preview kept for another state."""

from __future__ import annotations

import threading

from tests.functional.helpers import EMBEDDED_REQUIRED
from wizard.flow.session import WizardSession

FIRST = "policy_creation"


def _session() -> WizardSession:
    return WizardSession.open(None, account_id=None, region=None, stack_name=None, profile="standard",
                              settings=EMBEDDED_REQUIRED)


def test_a_preview_asked_by_two_threads_is_computed_once(monkeypatch):
    session = _session()
    question = session.question(FIRST)
    calls: list[str] = []
    entered, release = threading.Event(), threading.Event()
    original = WizardSession._compute_preview

    def counted(self, question, candidate, title):
        calls.append(candidate)
        entered.set()
        assert release.wait(30)
        return original(self, question, candidate, title)

    monkeypatch.setattr(WizardSession, "_compute_preview", counted)
    results: list = []
    first = threading.Thread(target=lambda: results.append(session.preview(question, "manual", "t")))
    first.start()
    assert entered.wait(30)
    second = threading.Thread(target=lambda: results.append(session.preview(question, "manual", "t")))
    second.start()
    release.set()
    first.join(30)
    second.join(30)
    assert calls == ["manual"]
    assert len(results) == 2 and results[0] is results[1]


def test_an_answer_recorded_while_a_preview_is_computed_does_not_reach_it(monkeypatch):
    session = _session()
    question = session.question(FIRST)
    lb = session.question("lb_scheme")
    entered, release = threading.Event(), threading.Event()
    original = WizardSession._compute_preview

    def held(self, question, candidate, title):
        entered.set()
        assert release.wait(30)
        return original(self, question, candidate, title)

    monkeypatch.setattr(WizardSession, "_compute_preview", held)
    results: list = []
    worker = threading.Thread(target=lambda: results.append(session.preview(question, "manual", "t")))
    worker.start()
    assert entered.wait(30)
    session.answer(lb, "internal")  # the UI thread records an answer meanwhile
    release.set()
    worker.join(30)
    monkeypatch.setattr(WizardSession, "_compute_preview", original)
    # Kept for the state it was asked in: the same as computed afresh on a session in that state.
    fresh = _session()
    expected = fresh.preview(fresh.question(FIRST), "manual", "t")
    assert results[0].diff == expected.diff and results[0].against_baseline == expected.against_baseline
    session.answers.pop("lb_scheme")
    assert session.known_preview(question, "manual", "t") is results[0]
