"""Both interactive faces run on one session core (``wizard.flow.session``).

The Textual wizard (walked with the Pilot) and the line prompts (a scripted asker) record the
same answers through the core's ``WizardSession.answer`` and write the same parameters; a rule
added to the session (here, a value it refuses) reaches both faces without touching either.
"""

from __future__ import annotations

import io
import json

from screens.app import build_app
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, settle, write_parameter_file
from tests.unit.test_prompts import ScriptedAsker, args
from wizard.flow.prompts import PromptFlow, run_prompts
from wizard.flow.session import WizardSession

ACCOUNT = "123456789012"
PREFIX = "acme-quilt-"


def _values(path) -> dict[str, str]:
    return {p["ParameterKey"]: p["ParameterValue"] for p in json.loads(path.read_text())}


def _recording(monkeypatch) -> list[tuple[str, object]]:
    """Every answer recorded through the core session, in order, whichever face records it."""
    recorded: list[tuple[str, object]] = []
    original = WizardSession.answer

    def answer(self, question, value):
        recorded.append((question.id, value))
        original(self, question, value)

    monkeypatch.setattr(WizardSession, "answer", answer)
    return recorded


def _plain(tmp_path) -> dict[str, str]:
    asker = ScriptedAsker({"S3 buckets": PREFIX, "Review the": False})
    options = args(tmp_path, profile="standard", account_id=ACCOUNT, out=str(tmp_path / "plain.json"),
                   set_values=[f"{k}={v}" for k, v in EMBEDDED_REQUIRED.items()])
    assert run_prompts(options, asker, io.StringIO()) == 0
    return _values(tmp_path / "plain.json")


async def _wizard(tmp_path) -> dict[str, str]:
    out = tmp_path / "wizard.json"
    app = build_app(out=out, profile="standard", account_id=ACCOUNT, settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "bucket_scope")
        app.screen.query_one("#answer").value = PREFIX
        await settle(pilot)
        await write_parameter_file(pilot)
    return _values(out)


async def test_both_faces_record_the_same_answers_through_the_session_and_write_the_same_file(
        tmp_path, monkeypatch):
    recorded = _recording(monkeypatch)
    plain = _plain(tmp_path)
    plain_answers = list(recorded)
    recorded.clear()
    wizard = await _wizard(tmp_path)
    wizard_answers = list(recorded)
    assert plain_answers, "the prompts recorded no answer through the session"
    assert ("bucket_scope", PREFIX) in plain_answers
    assert wizard_answers == plain_answers
    assert plain["CustomerBucketPrefix"] == PREFIX
    assert wizard == plain


async def test_a_value_the_session_refuses_is_refused_by_both_faces(tmp_path, monkeypatch):
    original = WizardSession.value_problem

    def refusing(self, name, value):
        if name == "CustomerBucketPrefix" and value == "forbidden-":
            return "refused by the session"
        return original(self, name, value)

    monkeypatch.setattr(WizardSession, "value_problem", refusing)
    flow = PromptFlow(args(tmp_path, profile="standard"), ScriptedAsker({}), io.StringIO())
    check = flow._validator(flow.session.question("bucket_scope"))
    assert check("forbidden-") == "refused by the session"
    assert check(PREFIX) is True

    app = build_app(out=tmp_path / "wizard.json", profile="standard", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "bucket_scope")
        app.screen.query_one("#answer").value = "forbidden-"
        await settle(pilot)
        assert app.screen.confirm() is False
        assert "bucket_scope" not in app.session.answers
        app.screen.query_one("#answer").value = PREFIX
        await settle(pilot)
        assert app.screen.confirm() is True
        assert app.session.answers["bucket_scope"] == PREFIX
