"""The modes keep their word: the question of who outside the account may assume the stack's
roles is asked from the template's own facts, the modes answer it, every sentence of a mode's
texts holds on the template in use, and no answer given is dropped without a word."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import REAL_REQUIRED
from wizard.cfn.template import load_template
from wizard.cli import main
from wizard.flow.answers import Layer, resolve
from wizard.flow.catalog import load_catalog
from wizard.flow.profiles import BUILTIN_MODES, builtin_profile, requirements
from wizard.iam.analysis import analyse
from wizard.paths import DEFAULT_TEMPLATE, PROFILES

DATA = Path(__file__).resolve().parents[1] / "data"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
#: What the operator adds to a mode: the values the modes ask for.
OPERATOR = {"bucket_scope": "acme-quilt-", "athena_scope": "primary", "cloudtrail_kms": KEY,
            "route_tables": "rtb-0123456789abcdef0"}
EMBEDDED_REQUIRED = {
    "AdminEmail": "admin@example.com", "QuiltWebHost": "quilt.example.com",
    "RegistryImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/quilt:1",
    "SearchDomainArn": "arn:aws:es:us-east-1:123456789012:domain/quilt", "CloudTrailBucket": "example-trail",
    "CertificateArnELB": "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
    "VPC": "vpc-0123456789abcdef0", "Subnets": "subnet-00000001,subnet-00000002",
    "PublicSubnets": "subnet-00000003,subnet-00000004",
}


@pytest.fixture(scope="module")
def hardened(real_template_path):
    from wizard.overlay import harden

    return harden(load_template(real_template_path)).template


def _accounts_trusted(template) -> set[str]:
    """The accounts of the IAM users the vendor's trust policies name, read from the text."""
    return set(re.findall(r"arn:aws:iam::(\d{12}):user/", template.text))


# --- who outside the account may assume the stack's roles -------------------------------------

def test_the_question_names_the_outsiders_read_from_the_template(hardened, real_template_path):
    question = next(q for q in load_catalog().for_template(hardened) if q.id == "external_trust")
    accounts = _accounts_trusted(load_template(real_template_path))
    assert accounts == {"712023778557"}, "the vendor's template trusts users of its own account"
    assert "account 712023778557" in question.help and "5 IAM users" in question.help
    for role in ("AmazonECSTaskExecutionRole", "T4BucketReadRole", "T4BucketWriteRole", "ManagedUserRole"):
        assert role in question.help
    assert "IfExists" in question.help and "{" not in question.help
    keep = question.choice("keep")
    assert "account 712023778557" in keep.tradeoff and keep.sets == {"TrustExternalPrincipals": "Keep"}
    assert question.choice("remove").sets == {"TrustExternalPrincipals": "Remove"}
    assert "vendor loses that support access" in question.choice("remove").tradeoff


def test_the_embedded_template_is_not_asked_it_trusts_no_outsider():
    template = load_template(DEFAULT_TEMPLATE)
    assert "external_trust" not in {q.id for q in load_catalog().for_template(template)}
    plan = resolve(load_catalog(), template, builtin_profile("enterprise").layers())
    assert "already so" in plan.not_applied["external_trust"].reason


@pytest.mark.parametrize("mode,expected", [("standard", "Keep"), ("restricted", "Remove"), ("enterprise", "Remove")])
def test_the_modes_answer_it(hardened, mode, expected):
    plan = resolve(load_catalog(), hardened, builtin_profile(mode).layers() + [Layer("operator", OPERATOR)])
    assert plan.parameters["TrustExternalPrincipals"] == expected
    grants = analyse(hardened, {**REAL_REQUIRED, **plan.parameters}).grants
    outside = [g for g in grants if g.kind == "trust" and "712023778557" in json.dumps(g.to_json())]
    assert bool(outside) == (expected == "Keep")


def test_restricted_requires_the_bucket_prefix(tmp_path, capsys):
    answers = tmp_path / "answers.yaml"
    answers.write_text((Path(__file__).resolve().parents[2] / "examples" / "answers.yaml").read_text()
                       .replace("  bucket_scope: acme-quilt-\n", ""))
    assert main(["--answers", str(answers), "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert "CustomerBucketPrefix" in err and "restricted mode scopes every S3 grant" in err
    assert not (tmp_path / "p.json").exists()


# --- every sentence of a mode's texts holds on the template in use ------------------------------

def _values(template, mode: str, required: dict) -> dict:
    """The mode's values with what the operator must add to it (the key only where it is required)."""
    operator = {k: v for k, v in OPERATOR.items() if k != "cloudtrail_kms" or "KMSKeyId" in requirements(mode)}
    layers = builtin_profile(mode).layers() + [Layer("operator", operator)]
    return {**required, **resolve(load_catalog(), template, layers).parameters}


def _evaluated(template, values):
    return analyse(template, values)


def _topics_use_the_key(a) -> bool:
    topics = a.evaluation.resources("AWS::SNS::Topic")
    return bool(topics) and all((t.get("Properties") or {}).get("KmsMasterKeyId") == KEY for t in topics.values())


def _trail(a) -> dict:
    trails = list(a.evaluation.resources("AWS::CloudTrail::Trail").values())
    return (trails[0].get("Properties") or {}) if trails else {}


def _outsiders(a) -> list:
    """Trust grants to a principal of another account than the stack's (analyse's default)."""
    return [g for g in a.grants if g.kind == "trust" and g.is_allow
            and re.search(r"::(\d{12}):", g.principal) and "::123456789012:" not in g.principal]


def _rules_on(a, port: int) -> bool:
    return any(r.from_port == port and r.kind in ("ingress", "egress") for r in a.rules)


#: Each promise a mode's texts may make, and how to check it on the evaluated template. A text
#: that names one of ``CONTROLS`` must say it in one of these phrases (so no unchecked promise).
CLAIMS = {
    "pre-created": lambda a, v: v.get("PolicyCreationMode") == "PreCreated",
    "manual approval": lambda a, v: v.get("PolicyCreationMode") == "ManualApproval",
    "enhanced security": lambda a, v: v.get("EnableEnhancedSecurity") == "true",
    "CloudTrail and SNS topics encrypted with your KMS key": lambda a, v: _trail(a).get("KMSKeyId") == KEY
    and _topics_use_the_key(a),
    "CloudTrail and the stack's SNS topics encrypted with your KMS key": lambda a, v: _trail(a).get("KMSKeyId") == KEY
    and _topics_use_the_key(a),
    "encrypts the CloudTrail trail and SNS topics with your KMS key": lambda a, v: _trail(a).get("KMSKeyId") == KEY
    and _topics_use_the_key(a),
    "CloudTrail sent to CloudWatch Logs": lambda a, v: bool(_trail(a).get("CloudWatchLogsLogGroupArn")),
    "CloudTrail stays without KMS/CloudWatch": lambda a, v: not _trail(a).get("KMSKeyId")
    and not _trail(a).get("CloudWatchLogsLogGroupArn"),
    "You must supply a KMS key": lambda a, v: bool(v.get("KMSKeyId")),
    "CloudTrail has neither KMS encryption nor CloudWatch Logs": lambda a, v: not _trail(a).get("KMSKeyId")
    and not _trail(a).get("CloudWatchLogsLogGroupArn"),
    "VPC endpoints": lambda a, v: bool(a.evaluation.resources("AWS::EC2::VPCEndpoint")),
    "internal load balancer": lambda a, v: all(r.detail == "internal" for r in a.rules if r.kind == "scheme"),
    "no private 444 listener": lambda a, v: not _rules_on(a, 444),
    "444 port moves to 8443": lambda a, v: _rules_on(a, 8443) and not _rules_on(a, 444),
    "internal API port 444 stays open": lambda a, v: _rules_on(a, 444),
    "plain HTTP on port 80": lambda a, v: any(r.kind == "target-group" and r.protocol == "HTTP" and r.from_port == 80
                                              for r in a.rules),
    "no trust in other accounts": lambda a, v: not _outsiders(a),
    "no principal of another AWS account": lambda a, v: not _outsiders(a),
    "keep that trust": lambda a, v: v.get("TrustExternalPrincipals", "Keep") == "Keep",
    "buckets scoped to your prefix": lambda a, v: bool(v.get("CustomerBucketPrefix")),
    "bucket_scope is required": lambda a, v: bool(v.get("CustomerBucketPrefix")),
}
CONTROLS = ("TLS", "SNS", "KMS", "CloudWatch", "VPC endpoint", "internal", "approval", "pre-created", "Pre-created",
            "enhanced", "8443", "444", "another AWS account", "other accounts", "prefix")


def _texts(mode: str) -> list[str]:
    """The description and the comment of a mode's file, as sentences."""
    raw = (PROFILES / f"{mode}.yaml").read_text()
    comment = " ".join(line[1:].strip() for line in raw.splitlines() if line.startswith("#"))
    text = f"{comment} {builtin_profile(mode).description}"
    return [s.strip() for s in re.split(r"(?<=[.:;])\s+", " ".join(text.split())) if s.strip()]


@pytest.mark.parametrize("mode", BUILTIN_MODES)
@pytest.mark.parametrize("which", ["embedded", "vendor"])
def test_every_sentence_of_a_mode_holds_on_the_template_in_use(mode, which, request):
    if which == "vendor":
        template, required = request.getfixturevalue("hardened"), REAL_REQUIRED
    else:
        template, required = load_template(DEFAULT_TEMPLATE), EMBEDDED_REQUIRED
    values = _values(template, mode, required)
    evaluated = _evaluated(template, values)
    for sentence in _texts(mode):
        claims = [phrase for phrase in CLAIMS if phrase in sentence]
        for phrase in claims:
            assert CLAIMS[phrase](evaluated, values), f"{mode} on the {which} template: '{phrase}' does not hold"
        uncovered = [c for c in CONTROLS if c in sentence and not any(c in phrase for phrase in claims)]
        assert not [c for c in uncovered if c == "TLS"], f"{mode}: promises TLS ({sentence})"
        assert not uncovered or claims, f"{mode}: '{sentence}' names {uncovered} without a checked claim"


def test_no_mode_promises_tls_to_the_tasks_which_the_vendor_template_lacks(hardened):
    assert "EnableTaskTLS" not in hardened.parameters
    for mode in BUILTIN_MODES:
        assert "TLS" not in " ".join(_texts(mode)), mode


# --- no answer is ever dropped ------------------------------------------------------------------

@pytest.fixture
def vendor_answers(tmp_path):
    shutil.copy(DATA / "overlay" / "answers-vendor.yaml", tmp_path / "answers.yaml")
    return tmp_path / "answers.yaml"


def _with_answers(path: Path, **answers: str) -> None:
    text = path.read_text()
    extra = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in answers.items())
    path.write_text(text.replace("answers:\n", "answers:\n" + extra, 1))


def test_vpc_endpoints_yes_on_the_vendor_template_writes_the_endpoints(vendor_answers, real_template_path, capsys):
    _with_answers(vendor_answers, vpc_endpoints="yes", route_tables="rtb-0123456789abcdef0")
    out = vendor_answers.parent / "quilt-parameters.json"
    assert main(["--answers", str(vendor_answers), "--template", str(real_template_path), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert re.search(r"vpc_endpoints\s+Yes, use VPC endpoints", text)
    assert re.search(r"route_tables\s+rtb-0123456789abcdef0", text)
    written = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads(out.read_text())}
    assert written["UseVPCEndpoints"] == "true"
    beside = load_template(out.with_name(out.name + ".template.yaml"))
    endpoints = analyse(beside, {**REAL_REQUIRED, **written}).evaluation.resources("AWS::EC2::VPCEndpoint")
    services = {e["Properties"]["ServiceName"].rsplit(".", 1)[-1] if "ecr" not in e["Properties"]["ServiceName"]
                else e["Properties"]["ServiceName"].split("us-east-1.")[1] for e in endpoints.values()}
    assert services == {"s3", "sts", "sqs", "sns", "logs", "ecr.api", "ecr.dkr", "secretsmanager", "kms", "athena",
                        "glue"}


def test_json_lists_every_answer_given_with_a_note_where_it_does_not_apply(vendor_answers, real_template_path,
                                                                           capsys):
    out = vendor_answers.parent / "quilt-parameters.json"
    assert main(["--answers", str(vendor_answers), "--template", str(real_template_path), "--out", str(out),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    # restricted answers task_tls "yes"; the vendor's template cannot serve TLS to the tasks
    assert summary["answers"]["task_tls"] == "yes" and summary["answers"]["external_trust"] == "remove"
    note = summary["not_applied"]["task_tls"]
    assert note["value"] == "yes" and "EnableTaskTLS" in note["reason"] and "vendor" in note["reason"]
    assert note["source"].endswith("restricted.yaml")
    assert set(summary["answers"]) >= set(builtin_profile("restricted").answers)


def test_an_answer_of_the_file_the_template_cannot_apply_is_refused(vendor_answers, real_template_path, capsys):
    _with_answers(vendor_answers, task_tls="yes")
    out = vendor_answers.parent / "quilt-parameters.json"
    assert main(["--answers", str(vendor_answers), "--template", str(real_template_path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "answers.yaml:7: /answers/task_tls: 'yes' cannot be applied: the template has no EnableTaskTLS" in err
    assert not out.exists()


def test_every_answer_is_applied_refused_or_noted_never_silent(hardened):
    catalog = load_catalog()
    for question in catalog.questions:
        for value in [c.value for c in question.choices] or ["x"]:
            given = [value] if question.kind == "multi" else value
            layer = Layer("answers.yaml", {question.id: given}, {}, None, given=True)
            try:
                plan = resolve(catalog, hardened, [*builtin_profile("standard").layers(), layer])
            except Exception as exc:  # refused: one clear line naming the answer
                assert f"/answers/{question.id}" in str(exc) and "cannot be applied" in str(exc)
                continue
            assert question.id in plan.answers or question.id in plan.not_applied, question.id


def test_the_plain_prompts_ask_it_with_the_templates_facts(tmp_path, real_template_path):
    import io

    from tests.unit.test_prompts import ScriptedAsker, args
    from wizard.flow.prompts import run_prompts

    asker = ScriptedAsker({"deployment mode": "standard", "outside this AWS account": "remove", "Review the": False})
    out = io.StringIO()
    settings = [f"{k}={v}" for k, v in REAL_REQUIRED.items()]
    assert run_prompts(args(tmp_path, template=str(real_template_path), set_values=settings,
                            account_id="123456789012"), asker, out) == 0
    assert any("outside this AWS account" in message for message in asker.asked)
    assert "5 IAM users of account 712023778557" in out.getvalue()
    written = {p["ParameterKey"]: p["ParameterValue"] for p in json.loads((tmp_path / "plain.json").read_text())}
    assert written["TrustExternalPrincipals"] == "Remove"


def test_vpc_endpoints_on_a_template_whose_services_are_in_no_vpc_are_refused_with_the_reason(real_template_path):
    from wizard.errors import InputError
    from wizard.overlay import harden

    iam_part = harden(load_template(real_template_path.parent / "stable-iam.yaml")).template
    layer = Layer("answers.yaml", {"vpc_endpoints": "yes"}, {}, None, given=True)
    with pytest.raises(InputError) as refused:
        resolve(load_catalog(), iam_part, [layer])
    assert "/answers/vpc_endpoints: 'yes' cannot be applied" in str(refused.value)
    assert "vpc-endpoints found nothing in it to act on" in str(refused.value)
    # from a mode, the same answer is kept and noted
    plan = resolve(load_catalog(), iam_part, builtin_profile("enterprise").layers())
    assert plan.not_applied["vpc_endpoints"].value == "yes"
    assert "vpc-endpoints found nothing" in plan.not_applied["vpc_endpoints"].reason
