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

Finding the bucket (:func:`find_template_bucket`, read only) and creating it
(:func:`make_template_bucket`) are two steps, so that a run decides everything before it writes
its parameter file: a name S3 would refuse, a KMS key of another form, region or account (or one
KMS does not have enabled and symmetric), an existing bucket encrypted otherwise than the key
asked for, no consent. A new bucket whose protections cannot all be set is deleted again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from wizard.arns import parse_arn
from wizard.aws.errors import ServiceError
from wizard.aws.session import AwsSession, caller_identity
from wizard.cfn.pseudo import partition_of
from wizard.errors import AwsError, InputError, WizardError

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
    """``--template-bucket``, ``profile``, ``managed`` (found), ``to create`` (missing, with the
    operator's consent: :func:`find_template_bucket`) or ``created`` (just now)."""
    kms_key: str | None = None
    """The ARN of the KMS key a bucket to create is encrypted with (None: SSE-S3)."""

    @property
    def created(self) -> bool:
        return self.origin == "created"

    @property
    def to_create(self) -> bool:
        return self.origin == "to create"


class TemplateBucketNeeded(InputError):
    """The template is too large to go inline and no bucket may be created without consent."""

    def __init__(self, message: str, *, bucket: str, where: str | None = None) -> None:
        super().__init__(message, where=where)
        self.bucket = bucket
        """The bucket that would be created."""


class TemplateBucketInterrupted(WizardError):
    """Ctrl-C while a new template bucket was being protected (exit 130): the message says whether
    the bucket was deleted again or is left behind."""

    exit_code = 130


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


_KEY_ID = r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"
_KEY = re.compile(rf"(?:arn:(?P<partition>aws[a-z-]*):kms:(?P<region>[a-z0-9-]+):(?P<account>\d{{12}}):)?"
                  rf"(?P<resource>key/{_KEY_ID}|{_ALIAS})|(?P<id>{_KEY_ID})")
KMS_KEY_FORMS = ("a key id, an alias (alias/NAME), or the ARN of either "
                 "(arn:aws:kms:REGION:ACCOUNT:key/ID)")


def kms_key_problem(text: str) -> str | None:
    """What is wrong with ``text`` as a KMS key for the bucket's default encryption; None: its form
    is one S3 accepts (whether the key exists is for :func:`check_bucket_key`)."""
    if not text.strip():
        return ("expected a KMS key, found an empty value (leave the option out for S3's own "
                "encryption, SSE-S3)")
    match = _KEY.fullmatch(text)
    if match is None or (match.group("resource") and match.group("resource").startswith("key/")
                         and not match.group("account")):
        return f"expected {KMS_KEY_FORMS}, found {text!r}"
    return None


def check_bucket_key(session: AwsSession, key: str, account: str,
                     where: str = "--template-bucket-kms-key") -> str:
    """The ARN of ``key`` when it can encrypt a template bucket of ``account`` in the session's
    region: its form, then (an ARN) its region and account against the stack's, then what KMS
    says of it (it exists there, enabled, a symmetric encryption key). ``InputError`` otherwise."""
    problem = kms_key_problem(key)
    match = _KEY.fullmatch(key)
    if problem or match is None:
        raise InputError(problem or f"expected {KMS_KEY_FORMS}, found {key!r}", where=where)
    region = session.region
    if match.group("region") and match.group("region") != region:
        raise InputError(f"the key is in {match.group('region')}, but the stack and its template bucket are in "
                         f"{region}: S3 encrypts with a key of the bucket's region", where=where)
    if match.group("account") and match.group("account") != account:
        raise InputError(f"the key belongs to account {match.group('account')}, but the template bucket is "
                         f"created in account {account}: use a key of that account", where=where)
    try:
        meta = session.call("kms", "describe_key", KeyId=key)["KeyMetadata"]
    except ServiceError as exc:
        if exc.code not in ("NotFoundException", "InvalidArnException"):
            raise
        raise InputError(f"no KMS key {key} in account {account}, region {region}", where=where) from None
    arn = meta["Arn"]
    parts = parse_arn(arn)
    if parts is not None and (parts.region != region or parts.account != account):
        raise InputError(f"{key} is the key {arn}, not a key of account {account} in {region}", where=where)
    state = meta.get("KeyState") or ("Enabled" if meta.get("Enabled", True) else "Disabled")
    if state != "Enabled":
        raise InputError(f"the KMS key {arn} is {state}, not Enabled: S3 could not encrypt with it", where=where)
    spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
    usage = meta.get("KeyUsage") or "ENCRYPT_DECRYPT"
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        raise InputError(f"the KMS key {arn} is {spec} for {usage}; S3 encrypts with a symmetric "
                         "(SYMMETRIC_DEFAULT) ENCRYPT_DECRYPT key", where=where)
    return arn


def bucket_encryption(session: AwsSession, name: str, account: str) -> tuple[str, str | None]:
    """A bucket's default encryption: the algorithm (``AES256``, ``aws:kms``...) and its KMS key."""
    try:
        answer = session.call("s3", "get_bucket_encryption", Bucket=name, ExpectedBucketOwner=account)
    except ServiceError as exc:
        if exc.code != "ServerSideEncryptionConfigurationNotFoundError":
            raise
        return "AES256", None  # S3 encrypts every new object with SSE-S3 when nothing else is set
    rules = answer["ServerSideEncryptionConfiguration"].get("Rules") or [{}]
    default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
    return default.get("SSEAlgorithm") or "AES256", default.get("KMSMasterKeyID")


def describe_encryption(algorithm: str, key: str | None) -> str:
    if algorithm == "AES256":
        return "SSE-S3 (AES256)"
    return f"{'DSSE-KMS' if algorithm == 'aws:kms:dsse' else 'SSE-KMS'} with {key or 'the AWS managed key aws/s3'}"


def _same_key(session: AwsSession, existing: str | None, arn: str) -> bool:
    """Whether the key a bucket names (id, alias or ARN) is the key ``arn``."""
    if not existing:
        return False
    if existing == arn or existing == arn.rsplit("/", 1)[-1]:
        return True
    try:
        return session.call("kms", "describe_key", KeyId=existing)["KeyMetadata"]["Arn"] == arn
    except AwsError:
        return False


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
    report(f"Creating the template bucket s3://{name} in {region}"
           + (f", encrypted with {kms_key}" if kms_key else ""))
    session.call("s3", "create_bucket", **request)
    try:
        _configure(session, name, account=account, kms_key=kms_key)
    except (AwsError, KeyboardInterrupt) as exc:
        # Never leave a bucket without its protections: it is empty, so it can go again.
        try:
            session.call("s3", "delete_bucket", Bucket=name, ExpectedBucketOwner=account)
            fate = f"the bucket s3://{name} created for it was deleted again"
        except AwsError:
            fate = (f"left behind: the bucket s3://{name}, created but not fully protected: delete it "
                    f"(aws s3 rb s3://{name}) before running again")
        if isinstance(exc, KeyboardInterrupt):
            raise TemplateBucketInterrupted(f"interrupted while protecting the template bucket; {fate}") from None
        exc.message = f"{exc.message} ({fate})"
        raise


def _configure(session: AwsSession, name: str, *, account: str, kms_key: str | None) -> None:
    """Every protection of a template bucket, public access blocked first."""
    region = session.region
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


def find_template_bucket(session: AwsSession, *, given: str | None = None,
                         profile_bucket: str | None = None, create: bool = False,
                         kms_key: str | None = None,
                         confirm: Callable[[str], bool] | None = None) -> TemplateBucket:
    """The bucket to upload a large template to, found by reading only: nothing is created here.

    ``given`` (``--template-bucket``) wins and is used as it is. Otherwise the bucket named in
    the profile, or the managed one, is used when it exists in this account and region (and,
    with ``kms_key``, is encrypted with that key: another encryption is refused, saying which),
    and is ``to create`` when it does not and the operator agreed: ``create``
    (``--create-template-bucket``), the profile naming it, or ``confirm(name)`` answering yes
    (the wizard's dialog). Without consent: :class:`TemplateBucketNeeded`. ``kms_key`` is checked
    (:func:`check_bucket_key`) before anything else is read.
    """
    if given:
        check_bucket_name(given, where="--template-bucket")
        if kms_key is not None:
            raise InputError("--template-bucket names a bucket used as it is; the key applies to a bucket the "
                             "wizard creates", where="--template-bucket-kms-key")
        return TemplateBucket(given, "--template-bucket")
    if profile_bucket:
        check_bucket_name(profile_bucket, where="the profile's template_bucket")
    if kms_key is not None:
        problem = kms_key_problem(kms_key)
        if problem:
            raise InputError(problem, where="--template-bucket-kms-key")
    account = caller_identity(session).account
    key = check_bucket_key(session, kms_key, account) if kms_key is not None else None
    name = profile_bucket or managed_bucket_name(account, session.region)
    origin = "profile" if profile_bucket else "managed"
    if bucket_exists(session, name, account):
        where = bucket_region(session, name, account)
        if where != session.region:
            raise AwsError(f"The template bucket {name} is in {where}, but the stack is in "
                           f"{session.region}: CloudFormation reads templates from the stack's "
                           "region. Name a bucket of that region in the profile or with "
                           "--template-bucket.")
        if key is not None:
            algorithm, existing = bucket_encryption(session, name, account)
            if not (algorithm.startswith("aws:kms") and _same_key(session, existing, key)):
                raise InputError(
                    f"the template bucket s3://{name} already exists, encrypted by default with "
                    f"{describe_encryption(algorithm, existing)}, not with the key {key}: the wizard never "
                    "changes an existing bucket. Leave the option out to use the bucket as it is, or set its "
                    "default encryption yourself (aws s3api put-bucket-encryption)",
                    where="--template-bucket-kms-key")
        return TemplateBucket(name, origin, key)
    agreed = create or bool(profile_bucket) or (confirm is not None and confirm(name))
    if not agreed:
        raise TemplateBucketNeeded(
            f"the template is over CloudFormation's inline limit and needs a bucket: add "
            f"--create-template-bucket to create s3://{name} (encrypted, private, TLS only, "
            "versioned, old templates expire), or name one with --template-bucket",
            bucket=name, where="--create-template-bucket")
    return TemplateBucket(name, "to create", key)


def make_template_bucket(session: AwsSession, bucket: TemplateBucket, *,
                         on_progress: Callable[[str], None] | None = None) -> TemplateBucket:
    """``bucket`` created when it is ``to create`` (see :func:`create_template_bucket`), else as it is."""
    if not bucket.to_create:
        return bucket
    account = caller_identity(session).account
    create_template_bucket(session, bucket.name, account=account, kms_key=bucket.kms_key, on_progress=on_progress)
    return TemplateBucket(bucket.name, "created", bucket.kms_key)


def resolve_template_bucket(session: AwsSession, *, given: str | None = None,
                            profile_bucket: str | None = None, create: bool = False,
                            kms_key: str | None = None,
                            confirm: Callable[[str], bool] | None = None,
                            on_progress: Callable[[str], None] | None = None) -> TemplateBucket:
    """:func:`find_template_bucket`, then the bucket created when it is to be."""
    found = find_template_bucket(session, given=given, profile_bucket=profile_bucket, create=create,
                                 kms_key=kms_key, confirm=confirm)
    return make_template_bucket(session, found, on_progress=on_progress)
