"""The live panel says, under the risk, which Quilt features a highlighted choice stops."""

from __future__ import annotations

from screens.app import build_app
from screens.widgets.choice_list import ChoiceList
from screens.widgets.diff_panel import DiffPanel
from tests.conftest import REAL_REQUIRED
from tests.functional.helpers import advance_to, settle


def _stops(panel: DiffPanel) -> list[str]:
    return [line for line in panel.plain.splitlines() if line.startswith("Stops: ")]


async def test_highlighting_remove_names_the_vendors_access_it_stops(real_template_path, tmp_path):
    app = build_app(template_path=str(real_template_path), out=tmp_path / "p.json", settings=REAL_REQUIRED)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "external_trust")
        choices = app.screen.query_one("#choices", ChoiceList)
        panel = app.screen.query_one(DiffPanel)
        assert choices.highlighted_value == "keep"
        assert _stops(panel) == [], "the answer in force stops nothing"
        choices.highlighted = 1
        await settle(pilot)
        assert _stops(panel) == ["Stops: The vendor's access to the stack"]
        lines = panel.plain.splitlines()
        findings = next(i for i, line in enumerate(lines) if line.startswith("Findings: "))
        assert lines.index("Stops: The vendor's access to the stack") > findings, "under the risk"


async def test_the_review_lists_per_answer_what_it_stops(real_template_path, tmp_path):
    from textual.widgets import Static

    from wizard.flow.session import REVIEW

    app = build_app(template_path=str(real_template_path), out=tmp_path / "p.json", settings=REAL_REQUIRED)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "external_trust")
        app.screen.query_one("#choices", ChoiceList).highlighted = 1
        await settle(pilot)
        await advance_to(pilot, REVIEW)
        await settle(pilot)
        lines = str(app.screen.query_one("#review-stops", Static).render()).splitlines()
        at = lines.index("external_trust (TrustExternalPrincipals=Remove)")
        assert lines[at + 1] == "  Stops: The vendor's access to the stack"
