"""The managed template bucket: where templates over CloudFormation's inline limit are uploaded.

The Quilt template is larger than the 51,200 bytes CloudFormation accepts inline, so every
change set passes it by URL from S3. ``sam deploy`` and ``rain`` create a bucket for that on
first use and reuse it afterwards; so does the wizard, with the operator's consent (headless:
``--create-template-bucket``, or a ``template_bucket`` named in the profile's account section;
the wizard asks). ``--template-bucket`` still names any bucket the operator prefers.

One bucket per account and region, named after what it holds
(``quilt-wizard-templates-ACCOUNT-REGION``), because bucket names are global and a template
must be read from the stack's region. A template says what the stack grants, so the bucket is
treated like any other store of configuration: default encryption (SSE-S3, or SSE-KMS with the
key the operator chose), every public-access block on, object ownership enforced (no ACLs), a
bucket policy denying any request not made over TLS, versioning (the template a change set was
made from can be read back), and a lifecycle rule that expires old templates. Every call names
the expected owner, so a bucket of the same name in another account (squatting) is refused
rather than used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from wizard.aws.errors import ServiceError
from wizard.aws.session import AwsSession, caller_identity
from wizard.cfn.pseudo import partition_of
from wizard.errors import AwsError, InputError

NAME_PREFIX = "quilt-wizard-templates"
"""Managed buckets are called ``quilt-wizard-templates-ACCOUNT-REGION``."""

EXPIRE_DAYS = 90
"""Templates (and their older versions) are kept this long: long enough to read back what an
update was made from, short enough that the bucket does not grow for ever."""

PURPOSE_TAG = ("quilt-wizard:purpose", "cloudformation-templates")

RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
"""What S3 keeps for itself at either end of a bucket's name (punycode, its own services, access
point aliases, Object Lambda, multi-region access points, directory and table buckets)."""

_IP_ADDRESS = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
_ALLOWED = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")

_MISSING = frozenset({"404", "NoSuchBucket", "NotFound"})
_FOREIGN = frozenset({"403", "AccessDenied", "Forbidden"})


@dataclass(frozen=True)
class TemplateBucket:
    """The bucket a change set's template is uploaded to, and how it was found."""

    name: str
    origin: str
    """``--template-bucket``, ``profile``, ``managed`` (found) or ``created`` (just now)."""

    @property
    def created(self) -> bool:
        return self.origin == "created"


class TemplateBucketNeeded(InputError):
    """The template is too large to go inline and no bucket may be created without consent."""

    def __init__(self, message: str, *, bucket: str, where: str | None = None) -> None:
        super().__init__(message, where=where)
        self.bucket = bucket
        """The bucket that would be created."""


def bucket_name_problem(name: str) -> str | None:
    """What S3's naming rules for a general purpose bucket say against ``name``; None: it may be one."""
    if not 3 <= len(name) <= 63:
        return f"it has {len(name)} characters; a bucket name has 3 to 63"
    others = sorted({c for c in name if c not in _ALLOWED})
    if others:
        shown = ", ".join(repr(c) for c in others[:5])
        return f"it has {shown}; a bucket name has only lowercase letters, digits, dots and hyphens"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "a bucket name begins and ends with a letter or a digit"
    if ".." in name:
        return "a bucket name has no two dots in a row"
    if _IP_ADDRESS.fullmatch(name):
        return "a bucket name is not an IP address"
    prefix = next((p for p in RESERVED_PREFIXES if name.startswith(p)), None)
    if prefix:
        return f"S3 reserves the prefix {prefix!r}"
    suffix = next((x for x in RESERVED_SUFFIXES if name.endswith(x)), None)
    if suffix:
        return f"S3 reserves the suffix {suffix!r}"
    return None


def check_bucket_name(name: str, *, where: str, file: str | None = None, line: int | None = None) -> None:
    """An ``InputError`` (exit 2, before any AWS call) when S3 would refuse ``name``."""
    problem = bucket_name_problem(name)
    if problem:
        raise InputError(f"{name!r} is not an S3 bucket name: {problem}", file=file, where=where, line=line)


def managed_bucket_name(account: str, region: str) -> str:
    """``quilt-wizard-templates-123456789012-us-east-1`` (at most 63 characters)."""
    return f"{NAME_PREFIX}-{account}-{region}"


def bucket_exists(session: AwsSession, name: str, account: str) -> bool:
    """Whether ``name`` exists and belongs to ``account``; AwsError when another account has it."""
    try:
        session.call("s3", "head_bucket", Bucket=name, ExpectedBucketOwner=account)
    except ServiceError as exc:
        if exc.code in _MISSING:
            return False
        if exc.code in _FOREIGN:
            raise AwsError(
                f"A bucket called {name} exists but is not this account's ({account}) or "
                "cannot be read: choose another with --template-bucket.") from None
        raise
    return True


def bucket_region(session: AwsSession, name: str, account: str) -> str:
    """The region a bucket lives in (S3 answers no constraint for us-east-1)."""
    answer = session.call("s3", "get_bucket_location", Bucket=name, ExpectedBucketOwner=account)
    return answer.get("LocationConstraint") or "us-east-1"


def bucket_policy(name: str, partition: str = "aws") -> dict:
    """Deny every request to the bucket and its objects that is not made over TLS."""
    bucket = f"arn:{partition}:s3:::{name}"
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket, f"{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    }


def create_template_bucket(session: AwsSession, name: str, *, account: str,
                           kms_key: str | None = None,
                           on_progress: Callable[[str], None] | None = None) -> None:
    """Create ``name`` in the session's region with every protection described above.

    Public access is blocked before anything else is set, so the bucket is never open, not
    even between two calls.
    """
    report = on_progress or (lambda _line: None)
    region = session.region
    request: dict = {"Bucket": name, "ObjectOwnership": "BucketOwnerEnforced"}
    if region != "us-east-1":
        request["CreateBucketConfiguration"] = {"LocationConstraint": region}
    report(f"Creating the template bucket s3://{name} in {region}")
    session.call("s3", "create_bucket", **request)
    owner = {"Bucket": name, "ExpectedBucketOwner": account}
    session.call("s3", "put_public_access_block", **owner, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    rule: dict = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    if kms_key:
        rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                       "KMSMasterKeyID": kms_key},
                "BucketKeyEnabled": True}
    session.call("s3", "put_bucket_encryption", **owner,
                 ServerSideEncryptionConfiguration={"Rules": [rule]})
    session.call("s3", "put_bucket_policy", **owner,
                 Policy=json.dumps(bucket_policy(name, partition_of(region))))
    session.call("s3", "put_bucket_versioning", **owner,
                 VersioningConfiguration={"Status": "Enabled"})
    session.call("s3", "put_bucket_lifecycle_configuration", **owner, LifecycleConfiguration={
        "Rules": [{
            "ID": "expire-old-templates",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"Days": EXPIRE_DAYS},
            "NoncurrentVersionExpiration": {"NoncurrentDays": EXPIRE_DAYS},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        }]})
    session.call("s3", "put_bucket_tagging", **owner, Tagging={"TagSet": [
        {"Key": PURPOSE_TAG[0], "Value": PURPOSE_TAG[1]}]})


def resolve_template_bucket(session: AwsSession, *, given: str | None = None,
                            profile_bucket: str | None = None, create: bool = False,
                            kms_key: str | None = None,
                            confirm: Callable[[str], bool] | None = None,
                            on_progress: Callable[[str], None] | None = None) -> TemplateBucket:
    """The bucket to upload a large template to.

    ``given`` (``--template-bucket``) wins and is used as it is. Otherwise the bucket named in
    the profile, or the managed one, is used when it exists in this account and region, and
    created when it does not and the operator agreed: ``create`` (``--create-template-bucket``),
    the profile naming it, or ``confirm(name)`` answering yes (the wizard's dialog). Without
    consent: :class:`TemplateBucketNeeded`, nothing created.
    """
    if given:
        check_bucket_name(given, where="--template-bucket")
        return TemplateBucket(given, "--template-bucket")
    if profile_bucket:
        check_bucket_name(profile_bucket, where="the profile's template_bucket")
    account = caller_identity(session).account
    name = profile_bucket or managed_bucket_name(account, session.region)
    origin = "profile" if profile_bucket else "managed"
    if bucket_exists(session, name, account):
        where = bucket_region(session, name, account)
        if where != session.region:
            raise AwsError(f"The template bucket {name} is in {where}, but the stack is in "
                           f"{session.region}: CloudFormation reads templates from the stack's "
                           "region. Name a bucket of that region in the profile or with "
                           "--template-bucket.")
        return TemplateBucket(name, origin)
    agreed = create or bool(profile_bucket) or (confirm is not None and confirm(name))
    if not agreed:
        raise TemplateBucketNeeded(
            f"the template is over CloudFormation's inline limit and needs a bucket: add "
            f"--create-template-bucket to create s3://{name} (encrypted, private, TLS only, "
            "versioned, old templates expire), or name one with --template-bucket",
            bucket=name, where="--create-template-bucket")
    create_template_bucket(session, name, account=account, kms_key=kms_key,
                           on_progress=on_progress)
    return TemplateBucket(name, "created")
