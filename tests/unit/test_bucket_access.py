"""Telling the bucket policy meant for reading from the one meant for writing, by the names the
template gives it; a policy nobody names for writing is a read policy."""

from __future__ import annotations

from wizard.iam.bucket_access import READ, WRITE, purpose_of

PLACEHOLDER = {"Type": "AWS::IAM::ManagedPolicy",
               "Properties": {"PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                                 "NotResource": "*"}]}}}


def _body(**names) -> dict:
    environment = [{"Name": name, "Value": {"Ref": policy}} for name, policy in names.items()]
    return {"Resources": {"First": PLACEHOLDER, "Second": PLACEHOLDER,
                          "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [
                              {"Name": "app", "Environment": environment}]}}}}


def test_the_application_s_variable_names_say_which_policy_writes():
    body = _body(QUILT_BUCKET_READ_POLICY_ARN="Second", QUILT_BUCKET_WRITE_POLICY_ARN="First")
    assert purpose_of(body, "First") == WRITE
    assert purpose_of(body, "Second") == READ


def test_an_output_s_name_counts_too():
    body = {"Resources": {"Policy": PLACEHOLDER}, "Outputs": {"WritePolicyArn": {"Value": {"Ref": "Policy"}}}}
    assert purpose_of(body, "Policy") == WRITE


def test_without_names_the_logical_id_decides_and_the_default_is_read():
    body = {"Resources": {"BucketWritePolicy": PLACEHOLDER, "BucketReadPolicy": PLACEHOLDER, "Placeholder": PLACEHOLDER}}
    assert purpose_of(body, "BucketWritePolicy") == WRITE
    assert purpose_of(body, "BucketReadPolicy") == READ
    assert purpose_of(body, "Placeholder") == READ


def test_the_vendor_template_s_placeholders(real_template_path):
    from wizard.cfn.template import load_template

    body = load_template(real_template_path).body
    assert purpose_of(body, "BucketReadPolicy") == READ
    assert purpose_of(body, "BucketWritePolicy") == WRITE


def test_one_walk_gives_every_policy_the_purpose_of_its_own_walk(real_template_path):
    """``purposes`` reads the body once for every logical id (the overlay asks it for many
    policies of a large template) and says what ``purpose_of`` says of each, on the small bodies
    above and on the vendor's templates, names, outputs, parameters and ids alike."""
    from wizard.cfn.template import load_template
    from wizard.iam.bucket_access import purposes

    bodies = [_body(QUILT_BUCKET_READ_POLICY_ARN="Second", QUILT_BUCKET_WRITE_POLICY_ARN="First"), _body(),
              {"Resources": {"Policy": PLACEHOLDER}, "Outputs": {"WritePolicyArn": {"Value": {"Ref": "Policy"}}}}]
    bodies += [load_template(real_template_path.parent / name).body
               for name in ("stable.yaml", "stable-app.yaml", "stable-iam.yaml")]
    for body in bodies:
        purpose = purposes(body)
        ids = [*body.get("Resources", {}), *body.get("Parameters", {}), "BucketWritePolicy", "Unnamed"]
        assert [purpose(i) for i in ids] == [purpose_of(body, i) for i in ids]
    assert purposes(bodies[0])("First") == WRITE and purposes(bodies[0])("Second") == READ
