"""The live panel leads with the risk: the change in findings, then the grants; "harden after"
shows what phase 1 deploys."""

from __future__ import annotations

import re

from screens.app import build_app
from screens.widgets.choice_list import ChoiceList
from screens.widgets.diff_panel import DiffPanel, shorten
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, settle


async def _highlight(pilot, value: str) -> str:
    choices = pilot.app.screen.query_one("#choices", ChoiceList)
    choices.highlighted = [item.value for item in choices.items].index(value)
    await settle(pilot)
    return pilot.app.screen.query_one(DiffPanel).plain


async def test_manual_approval_leads_with_the_critical_finding_it_removes(tmp_path):
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "policy_creation")
        plain = await _highlight(pilot, "manual")
        lines = plain.splitlines()
        assert lines[1].startswith("Findings: -1 critical"), plain
        assert "QW-ESC-002" in lines[2] and "CRITICAL" in lines[2]  # named, before any grant
        grants = next(i for i, line in enumerate(lines) if "grants" in line and "BROADENING" in line)
        assert grants > 2


async def test_harden_after_shows_phase_one_and_its_critical_finding(tmp_path):
    app = build_app(out=tmp_path / "p.json", profile="restricted", settings={**EMBEDDED_REQUIRED, "ApproverPrincipalArn": "arn:aws:iam::123456789012:role/quilt-approver"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "timeline")
        plain = await _highlight(pilot, "after")
        assert "Findings: +1 critical" in plain, plain
        assert re.search(r"Phase 1, deployed first: findings \d+ \(\d+ critical", plain)
        assert "Phase 2, after hardening: findings" in plain
        phase1 = plain[plain.index("Phase 1"):plain.index("Phase 2")]
        assert "QW-ESC-002" in phase1
        before = await _highlight(pilot, "before")
        assert "Phase 1" not in before and "findings unchanged" in before


def test_a_repeated_arn_prefix_is_shown_once():
    texts = ["Allow iam:PassRole on arn:aws:iam::123456789012:role/a",
             "Allow sts:AssumeRole on arn:aws:iam::123456789012:role/b", "Allow s3:GetObject on arn:aws:s3:::x"]
    short, prefix = shorten(texts)
    assert prefix == "arn:aws:iam::123456789012:role/"  # the longest path they share
    assert short[0] == "Allow iam:PassRole on …a" and short[2] == texts[2]
    assert shorten(texts[:1]) == (texts[:1], None)


async def test_a_weakening_choice_is_named_with_its_reason_and_a_gain_is_shown(tmp_path):
    app = build_app(out=tmp_path / "p.json", profile="restricted",  # restricted requires the prefix
                    settings={**EMBEDDED_REQUIRED, "CustomerBucketPrefix": "acme-quilt-", "ApproverPrincipalArn": "arn:aws:iam::123456789012:role/quilt-approver"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "task_tls")
        plain = await _highlight(pilot, "no")
        verdict = next(line for line in plain.splitlines() if "grants" in line)
        assert "WEAKENING" in verdict, plain
        reasons = [line for line in plain.splitlines() if line.startswith("  - ") and line.endswith("weakening")]
        assert reasons, plain
        assert pilot.app.screen.query_one(DiffPanel).has_class("-broadening")
        kept = await _highlight(pilot, "yes")
        assert "WEAKENING" not in kept and not any(line.endswith("weakening") for line in kept.splitlines())


async def test_a_choice_that_adds_a_control_shows_the_gain(tmp_path):
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "task_tls")
        plain = await _highlight(pilot, "yes")
        lines = plain.splitlines()
        at = next(i for i, line in enumerate(lines) if "grants" in line)
        assert "security gain" in lines[at] and "WEAKENING" not in lines[at], plain
        under = lines[at + 1:lines.index("", at)]  # the verdict's own lines, before the grants
        assert under and all(line.startswith("  + ") for line in under), plain


async def test_the_review_leads_the_change_against_the_baseline_with_the_risk(tmp_path):
    settings = {**EMBEDDED_REQUIRED, "KMSKeyId": "alias/quilt-trail", "CustomerBucketPrefix": "acme-quilt-",
                "AllowedAthenaWorkgroups": "primary,analytics"}
    app = build_app(out=tmp_path / "p.json", profile="enterprise", settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "review")
        await settle(pilot)
        lines = pilot.app.screen.query_one("#review-diff", DiffPanel).plain.splitlines()
        assert lines[0] == "Against the baseline (standard): the total change"
        assert re.match(r"Findings: -\d+ critical", lines[1]), lines[:3]
        assert "CRITICAL QW-ESC-002" in lines[2]
        verdict = next(i for i, line in enumerate(lines) if "grants" in line)
        assert verdict > 2 and "BROADENING" in lines[verdict]


async def test_the_panel_gives_all_answers_against_the_baseline_risk_first(tmp_path):
    app = build_app(out=tmp_path / "p.json", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "policy_creation")
        plain = await _highlight(pilot, "manual")
        line = next(line for line in plain.splitlines() if line.startswith("All answers against the baseline"))
        assert re.search(r"\(standard\): findings -1 critical[^;]*; \+\d+ grants", line), line
