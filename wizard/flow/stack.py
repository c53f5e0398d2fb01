"""Which template and which stack a run is about: the first choices of every face.

``--template`` (or an answers file's ``template:``) else the embedded Quilt template; the
stack's name, region and account from the command line, else the answers file's ``stack:``,
else a stack called ``quilt`` in us-east-1 of account 123456789012.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wizard import paths
from wizard.errors import InputError
from wizard.cfn.pseudo import Pseudo
from wizard.cfn.template import Template, load_template

if TYPE_CHECKING:
    from wizard.flow.answers import AnswersFile


def template_for(choice: str | None, answers: AnswersFile | None = None) -> Template:
    """``--template`` wins, then the answers file's ``template:``, then the embedded template."""
    if choice:
        return load_template(choice)
    if answers and answers.template:
        return load_template(answers.relative(answers.template))
    if not paths.DEFAULT_TEMPLATE.is_file():
        raise InputError("--template is required (the embedded template is not installed)", where="--template")
    return load_template(paths.DEFAULT_TEMPLATE)


def pseudo_for(answers: AnswersFile | None, stack_name: str | None, region: str | None,
               account_id: str | None) -> Pseudo:
    """The stack's pseudo parameters; a malformed account id is an InputError."""
    stack = dict(answers.stack) if answers else {}
    account = account_id or stack.get("account_id") or "123456789012"
    if not (account.isdigit() and len(account) == 12):
        raise InputError(f"expected a 12-digit AWS account id, found {account!r}", where="--account-id")
    return Pseudo(stack_name=stack_name or stack.get("name") or "quilt",
                  region=region or stack.get("region") or "us-east-1", account_id=account)
