"""The shapes of the resource properties the analyses read, checked before they read them.

CloudFormation refuses a template whose ``Properties`` is not a mapping or whose ``Policies``
is a number; the grants, network and findings code may then assume the shapes it reads. Each
resource is checked twice: as written (where an intrinsic function stands for a value yet to
come, it is let through) and as evaluated (where every value is known). A wrong shape is a
``TemplateError`` naming the resource, the property and its line, never a traceback.
"""

from __future__ import annotations

from typing import Any

#: Properties that hold a list, by resource type.
LISTS: dict[str, tuple[str, ...]] = {
    "AWS::IAM::Role": ("Policies", "ManagedPolicyArns"),
    "AWS::IAM::User": ("Policies", "ManagedPolicyArns", "Groups"),
    "AWS::IAM::Group": ("Policies", "ManagedPolicyArns"),
    "AWS::IAM::ManagedPolicy": ("Roles", "Users", "Groups"),
    "AWS::IAM::Policy": ("Roles", "Users", "Groups"),
    "AWS::EC2::SecurityGroup": ("SecurityGroupIngress", "SecurityGroupEgress"),
    "AWS::ElasticLoadBalancingV2::Listener": ("Certificates", "DefaultActions"),
    "AWS::ElasticLoadBalancingV2::ListenerRule": ("Actions", "Conditions"),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("Subnets", "SecurityGroups", "LoadBalancerAttributes"),
    "AWS::ECS::TaskDefinition": ("ContainerDefinitions",),
    "AWS::ECS::Service": ("LoadBalancers",),
    "AWS::SNS::TopicPolicy": ("Topics",),
    "AWS::SQS::QueuePolicy": ("Queues",),
    "AWS::CloudTrail::Trail": ("EventSelectors",),
}

#: List properties whose items must be mappings.
MAPPING_ITEMS = frozenset({"Policies", "SecurityGroupIngress", "SecurityGroupEgress", "Certificates",
                           "DefaultActions", "Actions", "Conditions", "LoadBalancerAttributes",
                           "ContainerDefinitions", "LoadBalancers", "EventSelectors"})

#: Policy documents: a mapping (or, as CloudFormation also takes, a JSON string).
DOCUMENTS = frozenset({"PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy"})


def _intrinsic(value: Any) -> bool:
    return (isinstance(value, dict) and len(value) == 1
            and isinstance(next(iter(value)), str)
            and (next(iter(value)) == "Ref" or next(iter(value)).startswith("Fn::")))


def _kind(value: Any) -> str:
    for kind, name in ((dict, "a mapping"), (list, "a list"), (str, "a string"), (bool, "a boolean"),
                       ((int, float), "a number")):
        if isinstance(value, kind):
            return name
    return "nothing" if value is None else type(value).__name__


def problem(resource: Any, *, written: bool) -> tuple[tuple, str] | None:
    """(path under the resource, what is wrong) for a resource whose shape the analyses cannot
    read, or None. ``written``: the resource as in the template (intrinsics let through)."""
    if not isinstance(resource, dict):
        return (), f"a resource must be a mapping, found {_kind(resource)}"
    condition = resource.get("Condition")
    if condition is not None and not isinstance(condition, str):
        return ("Condition",), f"Condition must be the name of a condition, found {_kind(condition)}"
    properties = resource.get("Properties")
    if properties is None or (written and _intrinsic(properties)):
        return None
    if not isinstance(properties, dict):
        return ("Properties",), f"Properties must be a mapping, found {_kind(properties)}"
    for name in LISTS.get(resource.get("Type"), ()):
        value = properties.get(name)
        if value is None or (written and _intrinsic(value)):
            continue
        if not isinstance(value, list):
            return ("Properties", name), f"{name} must be a list, found {_kind(value)}"
        if name in MAPPING_ITEMS:
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    return ("Properties", name, index), f"{name} items must be mappings, found {_kind(item)}"
                document = item.get("PolicyDocument")
                if name == "Policies" and document is not None and not (written and _intrinsic(document)) \
                        and not isinstance(document, (dict, str)):
                    return (("Properties", name, index, "PolicyDocument"),
                            f"PolicyDocument must be a mapping, found {_kind(document)}")
    for name in DOCUMENTS:
        value = properties.get(name)
        if value is None or (written and _intrinsic(value)) or isinstance(value, (dict, str)):
            continue
        return ("Properties", name), f"{name} must be a mapping, found {_kind(value)}"
    return None
