"""Values refused where they are typed: an ARN of another region or account, the mode's needs."""

from __future__ import annotations

from textual.widgets import Input, Static

from screens.app import build_app
from tests.functional.helpers import EMBEDDED_REQUIRED, advance_to, press, settle, text_of

WEST_CERT = EMBEDDED_REQUIRED["CertificateArnELB"].replace("us-east-1", "us-west-2")
OTHER_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


async def test_a_certificate_of_another_region_is_refused_on_its_screen(tmp_path):
    settings = {k: v for k, v in EMBEDDED_REQUIRED.items() if k != "CertificateArnELB"}
    app = build_app(out=tmp_path / "p.json", settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "certificate")
        app.screen.query_one("#answer", Input).value = WEST_CERT
        await settle(pilot)
        assert "region us-west-2" in text_of(app.screen.query_one("#answer-problem", Static))
        await press(pilot, "enter")
        assert app.screen.step == "certificate"  # refused: the operator stays to fix it
        assert "CertificateArnELB" not in app.session.plan().parameters or \
            app.session.plan().parameters["CertificateArnELB"] != WEST_CERT


async def test_enterprise_refuses_an_empty_kms_key_and_a_key_of_another_account(tmp_path):
    app = build_app(out=tmp_path / "p.json", profile="enterprise", settings=EMBEDDED_REQUIRED)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "cloudtrail_kms")
        await press(pilot, "enter")
        assert app.screen.step == "cloudtrail_kms"
        assert "enterprise mode" in text_of(app.screen.query_one("#answer-problem", Static))
        app.screen.query_one("#answer", Input).value = OTHER_KEY
        await settle(pilot)
        assert "account 111122223333" in text_of(app.screen.query_one("#answer-problem", Static))
        await press(pilot, "enter")
        assert app.screen.step == "cloudtrail_kms"


async def test_a_value_not_of_its_aws_type_is_refused_on_the_parameters_screen(tmp_path):
    from screens.questions.parameters import ParametersScreen
    from screens.widgets.parameter_field import ParameterField

    settings = {k: v for k, v in EMBEDDED_REQUIRED.items() if k != "VPC"}
    app = build_app(out=tmp_path / "p.json", settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await advance_to(pilot, "parameters")
        assert isinstance(app.screen, ParametersScreen)
        app.screen.query_one("#param-VPC", Input).value = "foo"
        await settle(pilot)
        field = app.screen.query_one("#field-VPC", ParameterField)
        assert field.has_class("-invalid")
        assert "expected vpc- followed by 8 or 17 hexadecimal digits" in text_of(field.query_one(".parameter-problem"))
        await press(pilot, "enter")
        assert isinstance(app.screen, ParametersScreen)  # refused: nothing goes on to the review
        app.screen.query_one("#param-VPC", Input).value = EMBEDDED_REQUIRED["VPC"]
        await settle(pilot)
        assert not field.has_class("-invalid")
    assert not (tmp_path / "p.json").exists()
