"""The draft of an interactive run: saved without secrets with the template it was made on, read back,
ignored when unreadable."""

from __future__ import annotations

from wizard.flow.draft import (Draft, discard_draft, draft_path, load_draft, recorded_path, save_draft,
                               sha256_now, template_mismatch, template_sha256)
from wizard.paths import DEFAULT_TEMPLATE


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


def test_a_draft_records_its_template_and_reads_it_back(tmp_path):
    template = tmp_path / "vendor.yaml"
    template.write_text(DEFAULT_TEMPLATE.read_text())
    digest = template_sha256(template.read_text())
    save_draft(Draft(template=recorded_path(str(template)), template_sha256=digest, answers={"timeline": "before"}))
    text = draft_path().read_text()
    assert f"template_sha256: {digest}" in text
    loaded = load_draft()
    assert loaded is not None
    assert (loaded.template, loaded.template_sha256) == (str(template.resolve()), digest)
    assert template_mismatch(loaded, str(template), sha256_now(str(template))) is None

    # Another template: the draft's is still there unchanged, so both can be offered.
    other = template_mismatch(loaded, None, sha256_now(None))
    assert other is not None and other.draft_available and not other.changed
    assert other.describe() == (f"The unfinished run was made on {template.resolve()}; "
                                "this run uses the embedded template.")
    moved = loaded.on_template(None)
    assert (moved.template, moved.template_sha256, moved.answers) == (None, None, {"timeline": "before"})

    # The same file changed since: only the template as it is now can be used.
    template.write_text(template.read_text() + "\n# edited\n")
    changed = template_mismatch(loaded, str(template), sha256_now(str(template)))
    assert changed is not None and changed.changed and not changed.draft_available
    template.unlink()
    gone = template_mismatch(loaded, None, sha256_now(None))
    assert gone is not None and not gone.draft_available
    assert "gone or has changed since" in gone.describe()


def test_the_embedded_template_is_recorded_without_a_path():
    assert recorded_path(None) is None and recorded_path(str(DEFAULT_TEMPLATE)) is None
    draft = Draft(template=None, template_sha256=sha256_now(None))
    assert template_mismatch(draft, str(DEFAULT_TEMPLATE), sha256_now(str(DEFAULT_TEMPLATE))) is None


def test_a_draft_from_before_templates_were_recorded_resumes_on_its_path(tmp_path):
    draft_path().parent.mkdir(parents=True, exist_ok=True)
    draft_path().write_text("version: 1\ntemplate: old.yaml\nprofile: standard\nanswers: {timeline: before}\n"
                            "parameters: {}\nsaved_at: 1.0\n")
    loaded = load_draft()
    assert loaded is not None and loaded.template == "old.yaml" and loaded.template_sha256 is None
    assert template_mismatch(loaded, None, sha256_now(None)) is None
