"""The one reading of ARNs and of values written once or as a list."""

from __future__ import annotations

import pytest

from wizard.arns import Arn, iam_principal, parse_arn
from wizard.lists import as_list


def test_an_arn_splits_into_its_six_fields_with_the_resource_whole():
    arn = parse_arn("arn:aws:logs:eu-west-1:111122223333:log-group:/quilt/audit:*")
    assert arn == Arn("aws", "logs", "eu-west-1", "111122223333", "log-group:/quilt/audit:*")
    assert (arn.resource_type, arn.resource_id) == ("log-group", "/quilt/audit:*")
    assert str(arn) == "arn:aws:logs:eu-west-1:111122223333:log-group:/quilt/audit:*"


@pytest.mark.parametrize("text, kind, ident", [
    ("arn:aws:iam::111122223333:role/path/Name", "role", "path/Name"),
    ("arn:aws:s3:::bucket", "", "bucket"),
    ("arn:aws:acm:us-east-1:111122223333:certificate/abc", "certificate", "abc"),
])
def test_the_resource_type_and_id(text, kind, ident):
    arn = parse_arn(text)
    assert (arn.resource_type, arn.resource_id) == (kind, ident)


@pytest.mark.parametrize("text", ["*", "bucket", "arn:aws:s3", "arn:aws:s3::bucket", "urn:aws:s3:::bucket", ""])
def test_what_is_not_an_arn_is_none(text):
    assert parse_arn(text) is None


@pytest.mark.parametrize("text, shaped", [
    ("arn:aws:kms:us-east-1:111122223333:key/abc", True),
    ("arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess", True),
    ("arn:aws:s3:::bucket", True),
    ("arn:aws:kms:us-east-1:1111:key/abc", False),
    ("arn:partition:kms:us-east-1:111122223333:key/abc", False),
    ("arn:aws:KMS:us-east-1:111122223333:key/abc", False),
    ("arn:aws:kms:us-east-1:111122223333:", False),
])
def test_well_formed_is_the_shape_of_an_accounts_resource(text, shaped):
    assert parse_arn(text).well_formed is shaped


@pytest.mark.parametrize("text, found", [
    ("arn:aws:iam::111122223333:role/Admin", ("111122223333", "role/Admin")),
    ("arn:aws-cn:sts::111122223333:assumed-role/R/s", ("111122223333", "assumed-role/R/s")),
    ("arn:aws:iam::111122223333:root", ("111122223333", "root")),
    ("arn:aws:iam::aws:policy/ReadOnlyAccess", None),
    ("arn:aws:s3::111122223333:bucket", None),
    ("arn:aws:iam:us-east-1:111122223333:role/R", None),
    ("111122223333", None),
])
def test_iam_principal_reads_the_account_of_a_principal(text, found):
    assert iam_principal(text) == found


def test_as_list_keeps_a_list_and_wraps_anything_else():
    listed = ["a", "b"]
    assert as_list(listed) is listed
    assert as_list("a") == ["a"]
    assert as_list({"Effect": "Allow"}) == [{"Effect": "Allow"}]
    assert as_list(None) == [None]
