"""Writing an approved policy: a new default version of a stack's placeholder.

``quilt-wizard approve`` decides what to write in the core (``wizard.audit.approval``) and calls
:func:`write_version` only after the approver confirmed. IAM keeps at most five versions of a
managed policy: the version the plan chose to drop (the oldest that is not the default) is
deleted first, then the new one is created as the default. ``on_progress`` hears each call.
"""

from __future__ import annotations

import json
from typing import Callable

from wizard.aws.session import AwsSession


def write_version(session: AwsSession, arn: str, document: dict, *, drop: str | None = None,
                  on_progress: Callable[[str], None] | None = None) -> str:
    """Create ``document`` as the default version of policy ``arn`` (deleting ``drop`` first);
    the new version's id."""
    say = on_progress or (lambda line: None)
    if drop:
        say(f"deleting version {drop} of {arn}")
        session.call("iam", "delete_policy_version", PolicyArn=arn, VersionId=drop)
    say(f"creating a new default version of {arn}")
    answer = session.call("iam", "create_policy_version", PolicyArn=arn, PolicyDocument=json.dumps(document),
                          SetAsDefault=True)
    return answer["PolicyVersion"]["VersionId"]
