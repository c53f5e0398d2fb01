"""The hardening does its work once and in proportion to the template: a policy clearly within
IAM's limit is not estimated way by way, the Limits policies are filled as before with one
estimate a statement, the markers resolved at the end copy only what leads to them, and no
garbage collection scans the process while a template is hardened (which then resumes as it was).
Each decision is checked against the exact rule it stands for, never against a clock."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import pytest

from wizard.cfn.template import parse_template
from wizard.errors import InputError
from wizard.overlay import apply, harden
from wizard.overlay.edits import DECLARED, NO_VALUE, resolve_declared
from wizard.overlay.fitting import MAX_POLICY_CHARACTERS, estimated_characters, over_limit, policy_chunks

DATA = Path(__file__).resolve().parents[2] / "data" / "overlay"


def _fresh(name: str):
    """A template read anew (a template hardened before is not hardened again in the process)."""
    path = DATA / name
    return parse_template(path.read_text(), str(path))


def _statement(number: int, condition: str | None = None) -> dict:
    statement = {"Effect": "Allow", "Action": [f"s3:GetObject{number}", "s3:PutObject"],
                 "Resource": [{"Fn::Sub": "${Bucket%d.Arn}/*" % number}, f"arn:aws:s3:::bucket-{number}/*"]}
    return {"Fn::If": [condition, statement, NO_VALUE]} if condition else statement


#: Three conditions that compare one parameter: they never hold together, so the longer-branch
#: bound of a policy under all three is about three times its longest way.
BODY = {"Resources": {f"Bucket{n}": {"Type": "AWS::S3::Bucket"} for n in range(60)},
        "Conditions": {f"Is{mode}": {"Fn::Equals": [{"Ref": "Mode"}, mode]} for mode in ("A", "B", "C")}}


def _document(count: int) -> dict:
    return {"Version": "2012-10-17",
            "Statement": [_statement(n, f"Is{'ABC'[n % 3]}") for n in range(count)]}


@pytest.mark.parametrize("count", [1, 8, 20, 40])
def test_a_policy_passes_the_limit_exactly_when_its_estimate_does(count):
    document = _document(count)
    exact = estimated_characters(document, BODY)
    for limit in sorted({1, exact - 1, exact, exact + 1, 3 * exact, MAX_POLICY_CHARACTERS}):
        assert over_limit(document, BODY, limit) == (exact > limit), limit


def test_a_policy_whose_ways_each_fit_is_within_the_limit_though_its_longer_branches_are_not():
    document = _document(40)
    exact = estimated_characters(document, BODY)
    every_branch = estimated_characters(document)  # each Fn::If at its longer branch
    assert exact < every_branch
    assert not over_limit(document, BODY, exact) and over_limit(document, BODY, exact - 1)
    assert not over_limit(document, None, every_branch) and over_limit(document, None, every_branch - 1)


def test_the_limits_policies_each_fit_and_take_each_statement_while_it_fits():
    denies = [{"Effect": "Deny", "Action": f"s3:Action{n}",
               "NotResource": [{"Fn::Sub": "${Bucket%d.Arn}" % (n % 60)}, f"arn:aws:s3:::other-{n}/*"]}
              for n in range(400)]
    chunks = policy_chunks(denies, "2012-10-17", BODY)
    assert len(chunks) > 2
    assert [s for chunk in chunks for s in chunk["Statement"]] == denies
    for chunk, following in zip(chunks, chunks[1:]):
        assert estimated_characters(chunk, BODY) <= MAX_POLICY_CHARACTERS
        grown = {**chunk, "Statement": [*chunk["Statement"], following["Statement"][0]]}
        assert estimated_characters(grown, BODY) > MAX_POLICY_CHARACTERS
    assert estimated_characters(chunks[-1], BODY) <= MAX_POLICY_CHARACTERS


def test_the_markers_resolved_last_copy_only_what_leads_to_them():
    plain_part = {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "a", "Value": "b"}]}}
    marked = {"Type": "AWS::IAM::Role", "Properties": {"Policies": [
        {DECLARED: {"names": ["Declared"], "then": {"PolicyName": "kept"}}},
        {DECLARED: {"names": ["Missing"], "then": {"PolicyName": "dropped"}}}]}}
    body = {"Parameters": {"Declared": {"Type": "String"}},
            "Resources": {"Plain": plain_part, "Marked": marked}, "Outputs": {"Out": {"Value": "x"}}}
    outputs = body["Outputs"]
    resolve_declared(body)
    assert body["Resources"]["Marked"]["Properties"]["Policies"] == [{"PolicyName": "kept"}, NO_VALUE]
    assert body["Resources"]["Plain"] is plain_part and body["Outputs"] is outputs
    assert marked["Properties"]["Policies"][0] == {DECLARED: {"names": ["Declared"], "then": {"PolicyName": "kept"}}}


def _watching(monkeypatch) -> list[bool]:
    """Whether automatic collection was on, each time a rule was applied."""
    seen: list[bool] = []
    applying = apply._apply

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return applying(*args, **kwargs)

    monkeypatch.setattr(apply, "_apply", watched)
    return seen


@pytest.mark.parametrize("enabled", [True, False])
def test_no_collection_runs_while_a_template_is_hardened_and_it_resumes_as_it_was(monkeypatch, enabled):
    seen = _watching(monkeypatch)
    (gc.enable if enabled else gc.disable)()
    try:
        harden(_fresh("small-vendor.yaml"))
        assert seen and not any(seen)
        assert gc.isenabled() == enabled
    finally:
        gc.enable()


def test_collection_resumes_after_a_template_the_overlay_cannot_harden(monkeypatch):
    seen = _watching(monkeypatch)
    with pytest.raises(InputError):
        harden(_fresh("condition-clash.yaml"))
    assert seen and not any(seen) and gc.isenabled()


def test_templates_hardened_at_once_run_without_collection_and_it_resumes_after_both(monkeypatch):
    inside = threading.Barrier(2)
    applying = apply._apply
    seen: list[bool] = []

    def meeting(body, rule, *args):
        if rule.id == "policy-creation":
            inside.wait(timeout=30)  # both hardenings are under way here
            seen.append(gc.isenabled())
        return applying(body, rule, *args)

    monkeypatch.setattr(apply, "_apply", meeting)
    templates = [_fresh("small-vendor.yaml") for _ in range(2)]
    threads = [threading.Thread(target=harden, args=(t,)) for t in templates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert seen == [False, False] and gc.isenabled()


def test_a_boundary_that_would_wait_on_its_own_role_is_still_refused():
    """The dependencies read once before the boundaries are added, and again only for what they
    change, still find the cycle a boundary naming its role's function would make."""
    import yaml

    body = yaml.safe_load((DATA / "small-vendor.yaml").read_text().replace("!Ref Placeholder", "{Ref: Placeholder}")
                          .replace("!Sub ", ""))
    body["Resources"]["WorkerRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].append(
        {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Fn::GetAtt": ["Worker", "Arn"]}})
    body["Resources"]["Worker"] = {"Type": "AWS::Lambda::Function", "Properties": {
        "Role": {"Fn::GetAtt": ["WorkerRole", "Arn"]}, "Runtime": "python3.12", "Handler": "app.handler",
        "Code": {"ZipFile": "def handler(event, context): pass"}}}
    with pytest.raises(InputError) as caught:
        harden(parse_template(yaml.safe_dump(body), "cycle.yaml"))
    assert "QuiltBoundaryWorkerRole would wait on WorkerRole" in str(caught.value)



def test_the_collection_the_pause_defers_runs_once_at_the_end_in_the_hardenings_thread(monkeypatch):
    """Not at whatever allocation comes next, which in the wizard may be a frame of the screen."""
    seen = _watching(monkeypatch)
    full: list[threading.Thread] = []

    def collecting(phase, info):
        if phase == "start" and info["generation"] == 2:
            full.append(threading.current_thread())

    gc.enable()
    template = _fresh("small-vendor.yaml")
    gc.collect()  # nothing pending before
    gc.callbacks.append(collecting)
    try:
        harden(template)
    finally:
        gc.callbacks.remove(collecting)
    assert seen and not any(seen)  # none while the rules applied
    assert full == [threading.current_thread()]
