"""The wizard on the vendor's own template: the overlay gives it the promised options, the
questions act on them, and what is written (the parameter file and the hardened template beside
it) is what the screens showed."""

from __future__ import annotations

import json

from textual.widgets import Input, Static

from screens.app import build_app
from screens.widgets.choice_list import ChoiceList
from screens.widgets.diff_panel import DiffPanel
from tests.conftest import REAL_REQUIRED
from tests.functional.helpers import advance_to, press, settle, text_of, write_parameter_file
from wizard.cfn.template import load_template
from wizard.iam.analysis import analyse
from wizard.cfn.parameters import resolve_parameters


async def test_the_vendor_template_is_hardened_and_the_hardened_one_is_written(tmp_path, real_template_path):
    vendor = real_template_path
    out = tmp_path / "p.json"
    app = build_app(template_path=str(vendor), out=out, settings=REAL_REQUIRED)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "policy_creation")
        session = app.session
        assert session.hardening is not None
        assert "PolicyCreationMode" not in load_template(vendor).parameters
        assert "PolicyCreationMode" in session.template.parameters
        assert any("Hardening overlay" == (n.title or "") for n in app._notifications)
        choices = app.screen.query_one("#choices", ChoiceList)
        choices.highlighted = [item.value for item in choices.items].index("manual")
        await settle(pilot)
        panel = app.screen.query_one(DiffPanel).plain
        verdict = next(line for line in panel.splitlines() if "grants" in line)
        assert not verdict.startswith("+0 grants  -0 "), panel  # the choice acts on the vendor's roles
        # manual approval asks who approves: empty is refused on the question's screen
        await advance_to(pilot, "approvers")
        await press(pilot, "enter")
        assert app.screen.step == "approvers"
        assert "required" in text_of(app.screen.query_one("#answer-problem", Static))
        app.screen.query_one("#answer", Input).value = "arn:aws:iam::999988887777:role/quilt-approver"
        await settle(pilot)
        assert "account 999988887777" in text_of(app.screen.query_one("#answer-problem", Static))
        await press(pilot, "enter")
        assert app.screen.step == "approvers"  # another account's principal is refused where it is typed
        app.screen.query_one("#answer", Input).value = "arn:aws:iam::123456789012:root"
        await settle(pilot)
        assert "AllowedPattern" in text_of(app.screen.query_one("#answer-problem", Static))
        app.screen.query_one("#answer", Input).value = "arn:aws:iam::123456789012:role/quilt-approver"
        await settle(pilot)
        await write_parameter_file(pilot)
    beside = tmp_path / "p.json.template.yaml"
    assert beside.is_file()
    written = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads(out.read_text())}
    hardened = load_template(beside)
    assert "PolicyCreationMode" in hardened.parameters
    assert written["ApproverPrincipalArn"] == "arn:aws:iam::123456789012:role/quilt-approver"
    # What is written grants what the wizard analysed: the same grants from the file on disk.
    values = resolve_parameters(hardened, {**REAL_REQUIRED, **written}).raw
    on_disk = analyse(hardened, values, session.pseudo).grants
    in_wizard = analyse(session.template, values, session.pseudo).grants
    assert on_disk == in_wizard
