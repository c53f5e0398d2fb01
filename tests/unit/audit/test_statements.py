"""Statements compare by what they grant, not by how AWS or the template spells them."""

from __future__ import annotations

from wizard.audit.statements import compare, normal_condition, normalize, parse_document


def test_spelling_differences_are_not_differences() -> None:
    template = normalize({"Effect": "Allow", "Action": ["s3:GetObject", "S3:ListBucket"],
                          "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b"], "Sid": "Read",
                          "Condition": {"Bool": {"aws:SecureTransport": True}}})
    held = normalize({"Effect": "Allow", "Action": ["s3:listbucket", "s3:getobject", "s3:GetObject"],
                      "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                      "Condition": {"Bool": {"AWS:SecureTransport": ["true"]}}})
    assert template == held
    assert compare([template], [held]).same


def test_string_and_list_and_account_principals_are_the_same() -> None:
    a = normalize({"Effect": "Allow", "Principal": {"AWS": "123456789012", "Service": "ECS-Tasks.amazonaws.com"},
                   "Action": "sts:AssumeRole"})
    b = normalize({"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::123456789012:root"],
                                                   "Service": ["ecs-tasks.amazonaws.com"]},
                   "Action": ["sts:AssumeRole"]})
    assert a == b


def test_what_decides_access_is_a_difference() -> None:
    base = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-*/*"}
    wider = {**base, "Resource": "*"}
    denied = {**base, "Effect": "Deny"}
    conditioned = {**base, "Condition": {"StringEquals": {"s3:ResourceAccount": "123456789012"}}}
    for other in (wider, denied, conditioned):
        result = compare([normalize(base)], [normalize(other)])
        assert result.unexplained == (normalize(other),) and result.missing == (normalize(base),)


def test_statements_are_compared_as_multisets_in_any_order() -> None:
    one = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}
    two = {"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}
    expected = parse_document({"Statement": [one, two]})
    held = parse_document('{"Statement": [' + ",".join(['{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}',
                                                         '{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}',
                                                         '{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}']) + "]}")
    result = compare(expected, held)
    assert len(result.matched) == 2 and result.unexplained == (normalize(one),) and result.missing == ()


def test_a_single_statement_object_and_url_encoded_documents_are_read() -> None:
    encoded = "%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22%2A%22%7D%7D"
    assert parse_document(encoded) == [normalize({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})]


def test_a_symbol_the_stack_could_not_resolve_matches_any_value_only_when_needed() -> None:
    symbolic = normalize({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "${Bucket.Arn}/*"})
    held = normalize({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::real-bucket/*"})
    other = normalize({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::real-bucket/*"})
    assert symbolic.symbolic and compare([symbolic], [held]).same
    result = compare([symbolic], [other])
    assert result.missing == (symbolic,) and result.unexplained == (other,)


def test_conditions_are_normalised_and_empty_is_none() -> None:
    assert normal_condition({}) == "" and normal_condition(None) == ""
    assert normal_condition({"StringLike": {"s3:prefix": "a/*"}}) == normal_condition('{"StringLike": {"S3:Prefix": ["a/*"]}}')


def test_placeholders_grant_nothing() -> None:
    assert normalize({"Effect": "Allow", "Action": "s3:*", "NotResource": "*"}).grants_nothing
    assert not normalize({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}).grants_nothing
