"""The draft of an interactive run: saved without secrets, read back, ignored when unreadable."""

from __future__ import annotations

from wizard.flow.draft import Draft, discard_draft, draft_path, load_draft, save_draft


def test_a_draft_round_trips_without_secrets():
    draft = Draft(template=None, profile="restricted", account_id="111122223333", region="eu-west-1",
                  stack_name="quilt-prod", answers={"policy_creation": "manual", "frameworks": ["soc2"]},
                  parameters={"VPC": "vpc-01", "AdminPassword": "hunter22", "OktaClientSecret": "s3cr3t"},
                  step="frameworks")
    path = save_draft(draft, secret_parameters=frozenset({"AdminPassword"}))
    text = path.read_text()
    assert "hunter22" not in text and "s3cr3t" not in text
    assert (path.stat().st_mode & 0o777) == 0o600
    loaded = load_draft()
    assert loaded is not None
    assert loaded.answers == {"policy_creation": "manual", "frameworks": ["soc2"]}
    assert loaded.parameters == {"VPC": "vpc-01"}
    assert (loaded.profile, loaded.account_id, loaded.step) == ("restricted", "111122223333", "frameworks")
    assert loaded.saved_at > 0


def test_no_draft_and_a_broken_draft_both_read_as_none():
    assert load_draft() is None
    draft_path().parent.mkdir(parents=True, exist_ok=True)
    draft_path().write_text("answers: [unclosed\n")
    assert load_draft() is None
    draft_path().write_text("version: 99\n")
    assert load_draft() is None
    discard_draft()
    assert not draft_path().exists()
    discard_draft()  # nothing to remove is fine
