"""The security controls of an evaluated template, and which ones a change weakens or gains.

Broadening is about who may do what; a change can also leave every grant and opening as it
was and still lower the stack's defences: a trail that stops encrypting or stops delivering to
CloudWatch Logs, a listener or target group that falls back to plain HTTP, a load balancer
that becomes internet-facing. ``posture`` reads those controls from the evaluated resources
(never from text), one ``Control`` each, and ``compare_postures`` decides:

- a *protection* (encryption with a KMS key, CloudWatch delivery, a multi-region trail,
  log-file validation, S3 object-level events, access logs, key rotation, and a Deny in the
  stack's own role policies that keeps its roles from stopping or deleting a trail or from
  deleting or disabling the trail's key) lost while its resource still exists is a weakening;
  gained on a resource that already existed, a security gain. Protections of the
  trails count for the stack as a whole (some trail has it), so replacing one trail by another
  with the same settings changes nothing, and deleting the last trail loses them all;
  a bucket, log group or load balancer deleted with its protection weakens nothing;
- an *exposure* (an internet-facing load balancer, a listener serving plain HTTP or TCP that
  does not redirect to HTTPS, a target group reaching the tasks over plain HTTP or TCP) that
  appears is a weakening, one that disappears a gain; an exposure that merely moves (the same
  kind on the same resource or with the same protocol and port elsewhere) is neither.

Each change carries a one-line reason for the faces. ``PermissionDiff.weakenings`` and
``PermissionDiff.gains`` (``wizard.iam.diff``) hold them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from wizard.iam.grants import holder_of
from wizard.iam.wildcards import action_matches, pattern_covers
from wizard.lists import as_list

if TYPE_CHECKING:
    from wizard.cfn.evaluate import Evaluation

AT_REST, IN_TRANSIT, LOGGING, EXPOSURE = "encryption at rest", "encryption in transit", "logging", "exposure"
#: The subject of the trail controls: the stack's trails taken together.
TRAILS = "CloudTrail"
_PLAINTEXT = frozenset({"HTTP", "TCP", "UDP", "TCP_UDP"})

#: name -> (category, protective, reason when lost, reason when gained). Exposures are not
#: protective: their "lost" reason is the gain and their "gained" reason the weakening.
CONTROLS: dict[str, tuple[str, bool, str, str]] = {
    "trail-logging": (LOGGING, True, "no CloudTrail trail records API activity any more",
                      "trail {where} records API activity"),
    "trail-kms": (AT_REST, True, "CloudTrail log files are no longer encrypted with a KMS key (was {detail})",
                  "trail {where} encrypted with key {detail}"),
    "trail-cloudwatch": (LOGGING, True, "CloudTrail no longer delivers to CloudWatch Logs (was {detail})",
                         "trail {where} delivers to CloudWatch Logs {detail}"),
    "trail-multi-region": (LOGGING, True, "no trail covers every region any more",
                           "trail {where} covers every region"),
    "trail-validation": (LOGGING, True, "CloudTrail log-file validation is turned off",
                         "trail {where} validates its log files"),
    "trail-s3-data-events": (LOGGING, True, "no trail records S3 object-level events any more (was {detail})",
                             "trail {where} records S3 object-level events ({detail})"),
    "trail-guard": (LOGGING, True, "nothing in the stack keeps its roles from stopping or deleting trail {subject} "
                                   "any more (was {detail})",
                    "{detail} keeps the stack's roles from stopping or deleting trail {subject}"),
    "trail-key-guard": (AT_REST, True, "nothing in the stack keeps its roles from deleting or disabling key "
                                       "{detail} of trail {subject} any more",
                        "{where} keeps the stack's roles from deleting or disabling key {detail} of trail {subject}"),
    "kms": (AT_REST, True, "{subject} is no longer encrypted with a KMS key (was {detail})",
            "{subject} encrypted with key {detail}"),
    "access-logs": (LOGGING, True, "{subject} no longer writes access logs", "{subject} writes access logs to {detail}"),
    "key-rotation": (AT_REST, True, "KMS key {subject} no longer rotates", "KMS key {subject} rotates yearly"),
    "internet-facing": (EXPOSURE, False, "load balancer {subject} is no longer reachable from the internet",
                        "load balancer {subject} becomes reachable from the internet"),
    "plaintext-listener": (IN_TRANSIT, False, "load balancer {subject} no longer serves unencrypted {detail}",
                           "load balancer {subject} serves unencrypted {detail} (listener {where})"),
    "plaintext-target": (IN_TRANSIT, False, "target group {subject} reaches its targets over TLS now (was {detail})",
                         "target group {subject} reaches its targets over unencrypted {detail}"),
}


@dataclass(frozen=True)
class Control:
    """One security control (or exposure) of a resource, e.g. a trail's KMS key."""

    name: str
    subject: str
    detail: str = ""
    where: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        """What identifies it: exposures by their detail too (two plain listeners are two)."""
        return (self.name, self.subject, "" if self.protective else self.detail)

    @property
    def category(self) -> str:
        return CONTROLS[self.name][0]

    @property
    def protective(self) -> bool:
        return CONTROLS[self.name][1]

    def reason(self, *, gained: bool) -> str:
        text = CONTROLS[self.name][3 if gained else 2]
        return text.format(subject=self.subject, detail=self.detail, where=", ".join(self.where))


@dataclass(frozen=True)
class Posture:
    """Every control of one evaluated template, and the resources that exist in it."""

    controls: tuple[Control, ...]
    resources: frozenset[str]


@dataclass(frozen=True)
class PostureChange:
    """A control lost or gained, with a one-line reason."""

    control: Control
    reason: str

    def to_json(self) -> dict:
        return {"control": self.control.name, "category": self.control.category,
                "resource": self.control.subject, "where": list(self.control.where),
                "detail": self.control.detail, "reason": self.reason}


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _text(value: Any) -> str:
    text = str(value)
    return holder_of(text) if text.startswith("${") else text


def _trail_controls(trails: dict[str, dict]) -> list[Control]:
    found: dict[str, Control] = {}

    def add(name: str, trail: str, detail: str = "") -> None:
        known = found.get(name)
        found[name] = Control(name, TRAILS, known.detail if known else detail,
                              (*known.where, trail) if known else (trail,))

    for logical_id, trail in trails.items():
        properties = trail.get("Properties") or {}
        if _true(properties.get("IsLogging")):
            add("trail-logging", logical_id)
        if properties.get("KMSKeyId"):
            add("trail-kms", logical_id, _text(properties["KMSKeyId"]))
        if properties.get("CloudWatchLogsLogGroupArn"):
            add("trail-cloudwatch", logical_id, _text(properties["CloudWatchLogsLogGroupArn"]))
        if _true(properties.get("IsMultiRegionTrail")):
            add("trail-multi-region", logical_id)
        if _true(properties.get("EnableLogFileValidation")):
            add("trail-validation", logical_id)
        objects = s3_data_events(properties)
        if objects:
            add("trail-s3-data-events", logical_id, objects)
    return list(found.values())


def s3_data_events(properties: dict) -> str:
    """Which S3 objects a trail records events of ('' for none): the ARN prefixes its advanced
    selectors name, or its basic selectors' data resources, or 'every bucket'."""
    found: list[str] = []
    for selector in properties.get("AdvancedEventSelectors") or []:
        fields = {str(f.get("Field")): f for f in (selector or {}).get("FieldSelectors") or [] if isinstance(f, dict)}
        if "Data" in (fields.get("eventCategory") or {}).get("Equals", ()) and \
                "AWS::S3::Object" in (fields.get("resources.type") or {}).get("Equals", ()):
            found += [str(v) for v in (fields.get("resources.ARN") or {}).get("StartsWith") or ["every bucket"]]
    for selector in properties.get("EventSelectors") or []:
        for data in (selector or {}).get("DataResources") or []:
            if isinstance(data, dict) and data.get("Type") == "AWS::S3::Object":
                found += [str(v) for v in data.get("Values") or ()]
    return ", ".join(dict.fromkeys(found))


#: The actions a Deny must take away for a trail, and for its key, to count as guarded.
TRAIL_TAMPERING = ("cloudtrail:StopLogging", "cloudtrail:DeleteTrail")
KEY_TAMPERING = ("kms:ScheduleKeyDeletion", "kms:DisableKey")


def _role_denies(evaluation: Evaluation) -> list[tuple[str, dict]]:
    """(policy, statement) of every unconditional Deny in a policy that some role holds."""
    found: list[tuple[str, dict]] = []

    def add(where: str, document: Any) -> None:
        statements = document.get("Statement") if isinstance(document, dict) else None
        for statement in as_list(statements):
            if isinstance(statement, dict) and statement.get("Effect") == "Deny" and "Condition" not in statement:
                found.append((where, statement))

    attached = {str(a) for role in evaluation.resources("AWS::IAM::Role").values()
                for a in (role.get("Properties") or {}).get("ManagedPolicyArns") or []}
    for logical_id, resource in evaluation.resources("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy").items():
        properties = resource.get("Properties") or {}
        if properties.get("Roles") or evaluation.ref_token(logical_id) in attached:
            add(logical_id, properties.get("PolicyDocument"))
    for logical_id, role in evaluation.resources("AWS::IAM::Role").items():
        for policy in (role.get("Properties") or {}).get("Policies") or []:
            if isinstance(policy, dict):
                add(f"{logical_id}/{policy.get('PolicyName')}", policy.get("PolicyDocument"))
    return found


def _denied_by(denies: list[tuple[str, dict]], actions: tuple[str, ...], tokens: set[str], arn: str) -> list[str]:
    """The policies whose Denies take every one of ``actions`` away on the resource."""
    def names(statement: dict) -> bool:
        resources = statement.get("Resource")
        resources = as_list(resources)
        return any(r in tokens or pattern_covers(str(r), arn, case_sensitive=True) for r in resources if r)

    def takes(action: str) -> bool:
        return any(action_matches(str(a), action) for where, s in denies if names(s)
                   for a in (s.get("Action") if isinstance(s.get("Action"), list) else [s.get("Action")]))

    if not all(takes(a) for a in actions):
        return []
    return list(dict.fromkeys(where for where, s in denies if names(s)))


def _guard_controls(evaluation: Evaluation, trails: dict[str, dict]) -> list[Control]:
    denies = _role_denies(evaluation) if trails else []
    if not denies:
        return []
    pseudo = evaluation.pseudo
    base = f"arn:{pseudo.partition}:{{}}:{pseudo.region}:{pseudo.account_id}:{{}}"
    found = []
    for logical_id, trail in trails.items():
        properties = trail.get("Properties") or {}
        name = properties.get("TrailName")
        name = name if isinstance(name, str) and "${" not in name else f"{pseudo.stack_name}-{logical_id}-*"
        guards = _denied_by(denies, TRAIL_TAMPERING, {"${" + logical_id + ".Arn}", "${" + logical_id + "}"},
                            base.format("cloudtrail", f"trail/{name}"))
        if guards:
            found.append(Control("trail-guard", logical_id, ", ".join(guards)))
        key = str(properties.get("KMSKeyId") or "")
        if not key:
            continue
        tokens = {key, key.removesuffix("}") + ".Arn}"} if key.startswith("${") else set()
        arn = (key if key.startswith("arn:") and ":key/" in key else
               base.format("kms", f"key/{key}") if key and not set(key) & set(":/$") else base.format("kms", "key/*"))
        guards = _denied_by(denies, KEY_TAMPERING, tokens, arn)
        if guards:
            found.append(Control("trail-key-guard", logical_id, _text(key), tuple(guards)))
    return found


def _bucket_controls(logical_id: str, properties: dict) -> Iterable[Control]:
    rules = (properties.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") or []
    for rule in rules:
        default = (rule or {}).get("ServerSideEncryptionByDefault") or {} if isinstance(rule, dict) else {}
        if str(default.get("SSEAlgorithm", "")).startswith("aws:kms"):
            yield Control("kms", logical_id, _text(default.get("KMSMasterKeyID") or "the AWS managed key"))
            break
    logging = properties.get("LoggingConfiguration")
    if isinstance(logging, dict):
        yield Control("access-logs", logical_id, _text(logging.get("DestinationBucketName") or "its own bucket"))


def _load_balancer_controls(logical_id: str, properties: dict) -> Iterable[Control]:
    if str(properties.get("Scheme", "internet-facing")) == "internet-facing":
        yield Control("internet-facing", logical_id)
    for attribute in properties.get("LoadBalancerAttributes") or []:
        if isinstance(attribute, dict) and attribute.get("Key") == "access_logs.s3.enabled" \
                and _true(attribute.get("Value")):
            bucket = next((a.get("Value") for a in properties["LoadBalancerAttributes"]
                           if isinstance(a, dict) and a.get("Key") == "access_logs.s3.bucket"), None)
            yield Control("access-logs", logical_id, _text(bucket or "a bucket"))


def _redirects_to_tls(actions: Any) -> bool:
    """Whether a listener's default action only sends clients to HTTPS."""
    actions = [a for a in actions or [] if isinstance(a, dict)]
    return bool(actions) and all(a.get("Type") == "redirect" and
                                 str((a.get("RedirectConfig") or {}).get("Protocol", "")).upper() == "HTTPS"
                                 for a in actions)


def _listener_controls(logical_id: str, properties: dict) -> Iterable[Control]:
    protocol = str(properties.get("Protocol", "")).upper()
    if protocol in _PLAINTEXT and not _redirects_to_tls(properties.get("DefaultActions")):
        yield Control("plaintext-listener", _text(properties.get("LoadBalancerArn", "?")),
                      f"{protocol}/{properties.get('Port', '?')}", (logical_id,))


def _target_controls(logical_id: str, properties: dict) -> Iterable[Control]:
    protocol = str(properties.get("Protocol", "")).upper()
    if protocol in _PLAINTEXT:
        yield Control("plaintext-target", logical_id, f"{protocol}/{properties.get('Port', '?')}")


def _kms_controls(logical_id: str, properties: dict, field: str) -> Iterable[Control]:
    if properties.get(field):
        yield Control("kms", logical_id, _text(properties[field]))


_EXTRACTORS = {
    "AWS::S3::Bucket": _bucket_controls,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _load_balancer_controls,
    "AWS::ElasticLoadBalancingV2::Listener": _listener_controls,
    "AWS::ElasticLoadBalancingV2::TargetGroup": _target_controls,
    "AWS::Logs::LogGroup": lambda i, p: _kms_controls(i, p, "KmsKeyId"),
    "AWS::SNS::Topic": lambda i, p: _kms_controls(i, p, "KmsMasterKeyId"),
    "AWS::SQS::Queue": lambda i, p: _kms_controls(i, p, "KmsMasterKeyId"),
    "AWS::KMS::Key": lambda i, p: [Control("key-rotation", i)] if _true(p.get("EnableKeyRotation")) else [],
}


def posture(evaluation: Evaluation) -> Posture:
    """The controls of every resource that exists in the evaluated template."""
    trails = evaluation.resources("AWS::CloudTrail::Trail")
    controls = _trail_controls(trails) + _guard_controls(evaluation, trails)
    for logical_id, resource in evaluation.resources(*_EXTRACTORS).items():
        controls += _EXTRACTORS[resource["Type"]](logical_id, resource.get("Properties") or {})
    existing = frozenset(i for i in evaluation.template.resources if evaluation.exists(i))
    return Posture(tuple(controls), existing)


def _moved(control: Control, others: list[Control]) -> Control | None:
    """An exposure of the other side that ``control`` merely moves (same resource, or same
    protocol and port); taken out of ``others``."""
    for other in others:
        if other.name == control.name and (other.subject == control.subject or other.detail == control.detail):
            others.remove(other)
            return other
    return None


def compare_postures(before: Posture, after: Posture) -> tuple[tuple[PostureChange, ...], tuple[PostureChange, ...]]:
    """(weakenings, gains) from ``before`` to ``after``."""
    old = {c.key: c for c in before.controls}
    new = {c.key: c for c in after.controls}
    lost = [c for k, c in old.items() if k not in new]
    won = [c for k, c in new.items() if k not in old]
    weakenings: list[PostureChange] = []
    gains: list[PostureChange] = []
    for control in lost:
        if control.protective:
            if control.subject == TRAILS or control.subject in after.resources:
                weakenings.append(PostureChange(control, control.reason(gained=False)))
    exposures_lost = [c for c in lost if not c.protective]
    for control in won:
        if control.protective:
            if control.subject == TRAILS or control.subject in before.resources:
                gains.append(PostureChange(control, control.reason(gained=True)))
        elif _moved(control, exposures_lost) is None:
            weakenings.append(PostureChange(control, control.reason(gained=True)))
    gains += [PostureChange(c, c.reason(gained=False)) for c in exposures_lost]
    return tuple(weakenings), tuple(gains)
