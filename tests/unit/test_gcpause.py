"""The collector's policies: paused for a build, and full collections at rest in the wizard."""

from __future__ import annotations

import gc

import pytest

from wizard import gcpause
from wizard.gcpause import HELD_FULL_THRESHOLD, collect_at_rest, collection_paused, collections_at_rest


@pytest.fixture
def full_collections():
    """The full collections that start while the test runs (each: whether one started)."""
    started: list[int] = []

    def seen(phase, info):
        if phase == "start" and info["generation"] == 2:
            started.append(info["generation"])

    gc.callbacks.append(seen)
    yield started
    gc.callbacks.remove(seen)


def test_a_paused_block_collects_nothing_and_gives_the_collector_back():
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collection_paused():
            pass
        assert not gc.isenabled()  # off before: left off
    finally:
        gc.enable()


def test_at_rest_full_collections_wait_for_the_caller_and_the_thresholds_come_back():
    before = gc.get_threshold()
    with collections_at_rest():
        young, middle, full = gc.get_threshold()
        assert (young, middle) == before[:2] and full >= HELD_FULL_THRESHOLD
    assert gc.get_threshold() == before


def test_a_rest_collects_and_sets_aside_what_stays_until_the_block_ends(full_collections):
    assert gc.get_freeze_count() == 0
    kept = [[object()] for _ in range(100)]
    with collections_at_rest():
        collect_at_rest()
        assert full_collections == [2] and gc.get_freeze_count() == 0
        collect_at_rest(set_aside=True)
        assert full_collections == [2, 2] and gc.get_freeze_count() >= len(kept)
        with collections_at_rest():  # a nested block gives nothing back: the outer one does
            pass
        assert gc.get_freeze_count() >= len(kept)
    assert gc.get_freeze_count() == 0


def test_outside_the_policy_or_with_the_collector_off_a_rest_does_nothing(full_collections):
    collect_at_rest(set_aside=True)  # a test's app, a headless run: the collector's own schedule
    assert full_collections == [] and gc.get_freeze_count() == 0
    with collections_at_rest():
        gc.disable()
        try:
            collect_at_rest(set_aside=True)
        finally:
            gc.enable()
    assert full_collections == [] and gc.get_freeze_count() == 0


def test_a_block_entered_with_objects_already_set_aside_leaves_them_so():
    gc.freeze()
    try:
        with collections_at_rest():
            collect_at_rest(set_aside=True)
        assert gc.get_freeze_count() > 0  # the caller's, not the block's to give back
    finally:
        gc.unfreeze()
    assert gcpause._resting == 0


def test_the_wizard_runs_under_the_policy(monkeypatch):
    """``run_app`` runs the screens inside ``collections_at_rest`` and restores the process after."""
    import argparse

    from screens import app as app_module

    seen = []
    monkeypatch.setattr(app_module.QuiltWizardApp, "run", lambda self: seen.append(gc.get_threshold()[2]))
    before = gc.get_threshold()
    args = argparse.Namespace(set_values=[], stack_name=None, region=None, account_id=None, template=None,
                              profile=None, out=None, format=None, baseline=None, force=False, aws_profile=None,
                              endpoint_url=None, template_bucket=None, aws_deadline=None, access_analyzer=False)
    assert app_module.run_app(args) == 0
    assert seen == [max(before[2], HELD_FULL_THRESHOLD)] and gc.get_threshold() == before
