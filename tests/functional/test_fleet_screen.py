"""The wizard's fleet: from the review, a profile with several accounts is deployed through a stack
set, each account's differences shown first, nothing sent without the typed stack-set name.

The small fleet template and the ``teams`` profile are those of ``fleet deploy``'s tests: account
B's empty bucket scope broadens its S3 grant against the fleet's base. AWS is moto's server on
loopback; the tests wait for the workers (``settle``), never for time.
"""

from __future__ import annotations

from textual.widgets import DataTable

from screens.app import build_app
from screens.dialogs import TypedConfirmDialog
from screens.aws.fleet import FleetScreen, InstancePanel
from screens.review.review import ReviewScreen
from tests.aws.test_fleet import A, B, SMALL, TRUST, write_profile
from tests.functional.helpers import advance_to, press, settle, text_of
from tests.moto import ACCOUNT
from wizard.aws.stacksets import ADMINISTRATION_ROLE, PROFILE_TAG
from wizard.flow.profiles import user_profiles_dir

NAME = "quilt-fleet"
"""The stack-set name the wizard suggests for the stack ``quilt``."""


def _app(tmp_path, **options):
    return build_app(template_path=SMALL, profile=options.pop("profile", "teams"), account_id=A,
                     out=tmp_path / "p.json", **options)


async def _review(pilot) -> ReviewScreen:
    await settle(pilot)
    await advance_to(pilot, "review")
    assert isinstance(pilot.app.screen, ReviewScreen)
    return pilot.app.screen


async def _fleet(pilot) -> FleetScreen:
    await _review(pilot)
    await press(pilot, "f")
    screen = pilot.app.screen
    assert isinstance(screen, FleetScreen)
    await settle(pilot)  # the plan is made in a worker
    return screen


def _panels(screen: FleetScreen) -> dict[str, InstancePanel]:
    return {panel.instance.account: panel for panel in screen.query(InstancePanel)}


async def _check(pilot, screen: FleetScreen) -> None:
    screen.query_one("#run").focus()
    await press(pilot, "enter")
    await settle(pilot)


async def _deploy(pilot) -> FleetScreen:
    """The fleet screen, checked, confirmed with the typed name, and its deployment followed."""
    screen = await _fleet(pilot)
    await _check(pilot, screen)
    await press(pilot, "x")
    await pilot.press(*NAME)
    await press(pilot, "enter")
    await settle(pilot)  # the deployment, each operation followed
    return screen


def _stack_sets(moto_session) -> list[str]:
    return [s["StackSetName"] for s in moto_session.client("cloudformation").list_stack_sets()["Summaries"]]


def _keys(screen) -> set[str]:
    return {b.binding.key for b in screen.active_bindings.values()}


async def test_the_fleet_is_not_offered_for_a_profile_with_one_account(tmp_path):
    folder = user_profiles_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "solo.yaml").write_text(f"""name: solo
extends: standard
answers: {{bucket_scope: acme-data-}}
accounts:
  "{A}": {{parameters: {{VPC: vpc-0123456789abcdef0}}}}
""")
    async with _app(tmp_path, profile="solo").run_test(size=(120, 40)) as pilot:
        review = await _review(pilot)
        assert "f" not in _keys(review) and not review.query("#fleet-button")
        await press(pilot, "f")
        assert pilot.app.screen is review


async def test_the_fleet_is_offered_for_a_profile_with_several_accounts(tmp_path):
    write_profile()
    async with _app(tmp_path).run_test(size=(120, 40)) as pilot:
        review = await _review(pilot)
        assert "f" in _keys(review)
        assert f"Profile teams lists 2 accounts ({A}, {B})" in text_of(review)
        review.query_one("#fleet-button").focus()
        await press(pilot, "enter")
        assert isinstance(pilot.app.screen, FleetScreen)
        await settle(pilot)
        await press(pilot, "escape")
        assert pilot.app.screen is review


async def test_each_account_shows_its_overrides_and_the_broadening_one_stands_out(tmp_path):
    secret = "Zq9-unguessable-token-41"
    write_profile()
    profile = user_profiles_dir() / "teams.yaml"
    profile.write_text(profile.read_text().replace("{VPC: vpc-0123456789abcdef0}",
                                                   f"{{VPC: vpc-0123456789abcdef0, Token: {secret}}}"))
    async with _app(tmp_path).run_test(size=(120, 40)) as pilot:
        screen = await _fleet(pilot)
        summary = text_of(screen.query_one("#fleet-summary"))
        assert "Fleet of profile teams: 2 stack instances in 2 accounts" in summary
        rows = {line.split()[0]: line.split() for line in summary.splitlines() if line.strip()[:12] in (A, B)}
        assert rows[A][1:] == ["us-east-1", "2", "no", "change"]
        assert rows[B][1:] == ["us-east-1", "2", "BROADENING"]
        panels = _panels(screen)
        first, second = panels[A], panels[B]
        assert "VPC = vpc-0123456789abcdef0" in first.plain and "Token = ****" in first.plain
        assert "no change" in first.plain and not first.has_class("-broadening")
        assert second.has_class("-broadening") and second.border_title == f"{B} · us-east-1 · BROADENING"
        assert "* CustomerBucketPrefix = (empty)" in second.plain
        assert "+ Allow s3:GetObject, s3:PutObject on * [R W]  broadening" in second.plain
        assert secret not in text_of(screen) and all(secret not in p.plain for p in panels.values())


async def test_a_refused_instance_is_shown_and_nothing_can_be_checked(tmp_path, endpoint, moto_session):
    write_profile(b_answers='{bucket_scope: "*"}')
    async with _app(tmp_path, endpoint_url=endpoint).run_test(size=(120, 40)) as pilot:
        screen = await _fleet(pilot)
        summary = text_of(screen.query_one("#fleet-summary"))
        assert "REFUSED" in summary and f"account {B} in us-east-1" in summary
        assert "CustomerBucketPrefix" in summary
        assert list(_panels(screen)) == [A]  # the refused one has no plan to show
        await _check(pilot, screen)
        assert screen.status_text.startswith("Cannot deploy: 1 instance refused")
        assert screen.prepared is None and "x" not in _keys(screen)
    assert _stack_sets(moto_session) == []


async def test_answers_changed_in_the_run_and_not_saved_are_named(tmp_path, endpoint, moto_session):
    moto_session.client("iam").create_role(RoleName=ADMINISTRATION_ROLE, AssumeRolePolicyDocument=TRUST)
    write_profile()
    app = _app(tmp_path, settings={"CustomerBucketPrefix": "acme-other-"}, endpoint_url=endpoint)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _fleet(pilot)
        assert screen.status_text.startswith("Not in the profile: this run sets CustomerBucketPrefix otherwise than "
                                             f"profile teams does for account {A}")
        await _check(pilot, screen)
        await press(pilot, "x")
        assert "It deploys profile teams as saved, without this run's CustomerBucketPrefix." in \
            pilot.app.screen.question


async def test_the_confirmation_refuses_a_wrong_name_and_sends_nothing(tmp_path, endpoint, moto_session):
    moto_session.client("iam").create_role(RoleName=ADMINISTRATION_ROLE, AssumeRolePolicyDocument=TRUST)
    write_profile()
    async with _app(tmp_path, endpoint_url=endpoint).run_test(size=(120, 40)) as pilot:
        screen = await _fleet(pilot)
        assert "x" not in _keys(screen)  # nothing checked yet
        await _check(pilot, screen)
        status = screen.status_text
        assert status.startswith(f"Stack set {NAME} in us-east-1:\n  role {ADMINISTRATION_ROLE} in account {ACCOUNT}: "
                                 "found")
        assert f"\n  create stack set {NAME} (self-managed)\n  create 2 instances in 2 calls\n" in status
        assert "\n  acknowledge CAPABILITY_IAM: the template creates IAM resources (DataRole)\n" in status
        await press(pilot, "x")
        dialog = pilot.app.screen
        assert isinstance(dialog, TypedConfirmDialog) and dialog.expected == NAME
        assert "CAPABILITY_IAM: the template creates IAM resources (DataRole)" in dialog.question
        assert "create 2 instances in 2 calls" in dialog.question
        await pilot.press(*"quilt-flee")
        await press(pilot, "enter")
        assert pilot.app.screen is dialog and "type it exactly" in text_of(dialog.query_one("#dialog-problem"))
        await press(pilot, "escape")
        assert pilot.app.screen is screen and screen.outcome is None
        assert screen.status_text.startswith("Not deployed")
    assert _stack_sets(moto_session) == []


async def test_a_missing_administration_role_is_named_and_deploying_is_not_offered(tmp_path, endpoint, moto_session):
    write_profile()
    async with _app(tmp_path, endpoint_url=endpoint).run_test(size=(120, 40)) as pilot:
        screen = await _fleet(pilot)
        await _check(pilot, screen)
        assert screen.status_text.startswith(f"Cannot deploy: self-managed stack sets need {ADMINISTRATION_ROLE} in "
                                             f"account {ACCOUNT}")
        assert f"role {ADMINISTRATION_ROLE} in account {ACCOUNT}: MISSING" in screen.status_text
        assert "x" not in _keys(screen) and screen.query_one("#aws-form").display  # to choose another model
    assert _stack_sets(moto_session) == []


async def test_the_typed_name_deploys_each_account_with_its_overrides(tmp_path, endpoint, moto_session):
    moto_session.client("iam").create_role(RoleName=ADMINISTRATION_ROLE, AssumeRolePolicyDocument=TRUST)
    write_profile()
    async with _app(tmp_path, endpoint_url=endpoint).run_test(size=(120, 40)) as pilot:
        screen = await _deploy(pilot)
        assert pilot.app.screen is screen and screen.outcome is not None and screen.outcome.failure is None
        assert screen.status_text.startswith(f"Deployed stack set {NAME}: 2 operations succeeded; 2 stack instances")
        table = screen.query_one("#fleet-instances", DataTable)
        assert table.display and table.row_count == 2
        assert [str(c) for c in table.get_row(f"{B} us-east-1")][:3] == [B, "us-east-1", "CURRENT"]
        assert not screen.query_one("#fleet-plan").display
        assert "x" not in _keys(screen)  # once only
    cloudformation = moto_session.client("cloudformation")
    stack_set = cloudformation.describe_stack_set(StackSetName=NAME)["StackSet"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack_set["Parameters"]}
    assert parameters["CustomerBucketPrefix"] == "acme-data-" and parameters["VPC"] == ""
    assert {t["Key"]: t["Value"] for t in stack_set["Tags"]} == {PROFILE_TAG: "teams"}

    def overrides(account: str) -> dict[str, str]:
        instance = cloudformation.describe_stack_instance(StackSetName=NAME, StackInstanceAccount=account,
                                                          StackInstanceRegion="us-east-1")["StackInstance"]
        return {p["ParameterKey"]: p["ParameterValue"] for p in instance["ParameterOverrides"]}

    assert overrides(A) == {"VPC": "vpc-0123456789abcdef0"}
    assert overrides(B) == {"CustomerBucketPrefix": "", "VPC": "vpc-0123456789abcdef1"}


async def test_an_aws_error_while_deploying_is_one_line_and_asks_for_a_new_check(tmp_path, endpoint, moto_session,
                                                                                 monkeypatch):
    """The caller may create the stack set but not its instances (moto allows every call, so the
    refusal is made as AWS words it)."""
    from wizard.aws import stacksets
    from wizard.aws.errors import AccessDenied

    def refused(*_args, **_kwargs):
        raise AccessDenied("AWS refused CreateStackInstances: not authorized to perform "
                           "cloudformation:CreateStackInstances", code="AccessDenied", action="CreateStackInstances",
                           aws_message="not authorized")

    monkeypatch.setattr(stacksets, "start_instances", refused)
    moto_session.client("iam").create_role(RoleName=ADMINISTRATION_ROLE, AssumeRolePolicyDocument=TRUST)
    write_profile()
    async with _app(tmp_path, endpoint_url=endpoint).run_test(size=(120, 40)) as pilot:
        screen = await _deploy(pilot)
        assert pilot.app.screen is screen and screen.outcome is None
        assert screen.status_text == ("Failed: AWS refused CreateStackInstances: not authorized to perform "
                                      "cloudformation:CreateStackInstances")
        assert "x" not in _keys(screen) and screen.query_one("#aws-form").display  # check again first
    assert _stack_sets(moto_session) == [NAME]
    assert moto_session.client("cloudformation").list_stack_instances(StackSetName=NAME)["Summaries"] == []
