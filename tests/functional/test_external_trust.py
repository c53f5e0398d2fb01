"""The wizard on the vendor's template asks who outside the account may assume the stack's roles,
with the principals and roles read from the template, and writes the answer."""

from __future__ import annotations

import json

from screens.app import build_app
from screens.widgets.choice_list import ChoiceList
from tests.conftest import REAL_REQUIRED
from tests.functional.helpers import advance_to, settle, text_of, write_parameter_file


async def test_the_wizard_asks_who_outside_the_account_may_assume_the_roles(tmp_path, real_template_path):
    out = tmp_path / "p.json"
    app = build_app(template_path=str(real_template_path), out=out, settings=REAL_REQUIRED)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "external_trust")
        help_text = text_of(app.screen.query_one("#question-help"))
        assert "account 712023778557" in help_text and "T4BucketWriteRole" in help_text
        choices = app.screen.query_one("#choices", ChoiceList)
        assert [item.value for item in choices.items] == ["keep", "remove"]
        assert choices.highlighted_value == "keep", "the vendor's behaviour is the standard mode's answer"
        choices.highlighted = 1
        await settle(pilot)
        await write_parameter_file(pilot)
    written = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads(out.read_text())}
    assert written["TrustExternalPrincipals"] == "Remove"
