"""The findings of the vendor's three templates and of the embedded one, in every mode, are
exactly those recorded before the rules learnt to remember their questions and index their
principals: same ids, subjects, messages, grants, steps, lines, controls and order.

The reference (``tests/data/findings-reference.json.gz``) was written by the rules as they were
before that work. When a rule, the overlay or a template changes what is found on purpose, write
it again and read the difference::

    python -m tests.unit.findings.test_findings_unchanged --write
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from functools import lru_cache

import pytest

from tests.conftest import DATA, REAL, REAL_REQUIRED

REFERENCE = DATA / "findings-reference.json.gz"
ACCOUNT = "123456789012"
MODES = ("Automatic", "ManualApproval", "PreCreated")
#: The split application template takes the IAM part's outputs as parameters.
SPLIT_APP_REQUIRED = {
    **REAL_REQUIRED,
    "ApiRole": f"arn:aws:iam::{ACCOUNT}:role/quilt-ApiRole",
    "TimestampResourceHandlerRole": f"arn:aws:iam::{ACCOUNT}:role/quilt-TimestampResourceHandlerRole",
    "BucketReadPolicy": f"arn:aws:iam::{ACCOUNT}:policy/BucketReadPolicy",
    "BucketWritePolicy": f"arn:aws:iam::{ACCOUNT}:policy/BucketWritePolicy",
    "RegistryAssumeRolePolicy": f"arn:aws:iam::{ACCOUNT}:policy/quilt/quilt/us-east-1/RegistryAssumeRolePolicy",
}
#: Each template and the values it needs (``embedded`` is the template the wizard ships).
TEMPLATES = {"stable.yaml": REAL_REQUIRED, "stable-app.yaml": SPLIT_APP_REQUIRED, "stable-iam.yaml": {},
             "embedded": {}}
#: The vendor's values as they are (``baseline``), and the hardened template in each mode.
CASES = [(name, case) for name in TEMPLATES for case in ("baseline", *MODES)]


def _template(name: str):
    from wizard import paths as shipped
    from wizard.cfn.template import load_template

    return load_template(shipped.DEFAULT_TEMPLATE if name == "embedded" else REAL.parent / name)


@lru_cache(maxsize=None)
def _hardened(name: str):
    from wizard.overlay import harden

    template = _template(name)
    return template if name == "embedded" else harden(template).template


def values(template, name: str, case: str) -> dict:
    """The template's required values; in a mode, enhanced security, a prefix, a key and the mode
    too, as far as the template has the options."""
    if case == "baseline":
        return dict(TEMPLATES[name])
    chosen = {"EnableEnhancedSecurity": "true", "CustomerBucketPrefix": "acme-", "PolicyCreationMode": case,
              "KMSKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
              "ApproverPrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/approver"}
    if case != "ManualApproval":
        chosen.pop("ApproverPrincipalArn")
    return {**TEMPLATES[name], **{k: v for k, v in chosen.items() if k in template.parameters}}


def findings_json(name: str, case: str) -> list[dict]:
    """Every finding of the template in that case, whole, in order."""
    from wizard.cfn.evaluate import Evaluation
    from wizard.cfn.parameters import resolve_parameters
    from wizard.findings import evaluate_findings
    from wizard.iam.grants import extract
    from wizard.iam.network import network_rules

    template = _template(name) if case == "baseline" else _hardened(name)
    evaluation = Evaluation(template, resolve_parameters(template, values(template, name, case)))
    grants, rules = extract(evaluation), network_rules(evaluation)
    return [f.to_json() for f in evaluate_findings(evaluation, grants, rules)]


def _key(name: str, case: str) -> str:
    return f"{name} {case}"


def _digest(name: str) -> str:
    """What the reference of a template was made from: its text."""
    return hashlib.sha256(_template(name).text.encode("utf-8", "surrogatepass")).hexdigest()


@lru_cache(maxsize=1)
def _reference() -> dict:
    with gzip.open(REFERENCE, "rt", encoding="utf-8") as stream:
        return json.load(stream)


@pytest.mark.parametrize("name,case", CASES, ids=[_key(n, c) for n, c in CASES])
def test_the_findings_are_those_recorded(name, case):
    if name != "embedded" and not REAL.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    recorded = _reference()[_key(name, case)]
    if recorded["template"] != _digest(name):
        pytest.skip(f"{name} is not the text the reference was recorded from; write it again")
    found = findings_json(name, case)
    assert found, "no findings at all: the comparison would prove nothing"
    assert [(f["rule_id"], f["subject"]) for f in found] == [(f["rule_id"], f["subject"]) for f in recorded["findings"]]
    for now, then in zip(found, recorded["findings"]):
        assert now == then, (now["rule_id"], now["subject"])


def write() -> None:
    """Record every case's findings as the code computes them now."""
    import os
    import tempfile

    os.environ["QUILT_WIZARD_HOME"] = tempfile.mkdtemp(prefix="findings-reference-")
    cases = {_key(name, case): {"template": _digest(name), "findings": findings_json(name, case)}
             for name, case in CASES}
    body = json.dumps(cases, indent=None, sort_keys=True, ensure_ascii=False) + "\n"
    with gzip.GzipFile(REFERENCE, "wb", mtime=0) as stream:
        stream.write(body.encode("utf-8"))
    print(f"{REFERENCE.name}: {len(cases)} cases, {sum(len(c['findings']) for c in cases.values())} findings")


if __name__ == "__main__" and "--write" in sys.argv:
    write()
