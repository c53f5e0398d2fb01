"""The facts a question's text is filled with, read from the template in use.

A question's help, trade-off and choices may name ``{field}`` placeholders; the catalog fills
them for the template the run uses (``Catalog.for_template``, ``Catalog.question_for``), so the
text says what this template does rather than what some template did once. Today's fields, from
the template's trust policies (``wizard.overlay.outsiders``):

- ``external_principals``: the principals of other AWS accounts, by account (``5 IAM users of
  account 712023778557 (...)``);
- ``external_roles``: the stack's roles that trust them;
- ``external_holders``: which of those roles hold the policies filled when a bucket is connected.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

from wizard.cfn.template import Template
from wizard.memo import Memo
from wizard.overlay.outsiders import ExternalTrust, external_trust

_FIELD = re.compile(r"\{([a-z_]+)\}")

_FIELDS: dict[str, Callable[[ExternalTrust], str]] = {
    "external_principals": ExternalTrust.principals_text,
    "external_roles": ExternalTrust.roles_text,
    "external_holders": ExternalTrust.holders_text,
}

_READ: Memo[int, tuple[Template, ExternalTrust, dict[str, str]]] = Memo(maxsize=16)
"""By the template's identity (its id, and the template kept to tell a reused id apart)."""


def _read(template: Template) -> tuple[ExternalTrust, dict[str, str]]:
    cached = _READ.get(id(template))
    if cached is not None and cached[0] is template:
        return cached[1], cached[2]
    trust = external_trust(template.body)
    found = {name: text(trust) for name, text in _FIELDS.items()}
    _READ.put(id(template), (template, trust, found))
    return trust, found


def trust_of(template: Template) -> ExternalTrust:
    """Who outside the account the template's trust policies name (worked out once per template)."""
    return _read(template)[0]


def facts(template: Template) -> dict[str, str]:
    """Every field's text for ``template`` (worked out once per template)."""
    return _read(template)[1]


def has_fields(text: str) -> bool:
    return bool(_FIELD.search(text))


def fill(text: str, template: Template) -> str:
    """``text`` with each known ``{field}`` replaced by its fact on ``template``."""
    if not has_fields(text):
        return text
    known = facts(template)
    return _FIELD.sub(lambda m: known.get(m.group(1), m.group(0)), text)


def filled(question, template: Template):
    """The question with its help, trade-off and choices' trade-offs filled for ``template``."""
    texts = [question.help, question.tradeoff, *(c.tradeoff for c in question.choices)]
    if not any(has_fields(t) for t in texts):
        return question
    choices = tuple(dataclasses.replace(c, tradeoff=fill(c.tradeoff, template)) for c in question.choices)
    return dataclasses.replace(question, help=fill(question.help, template), tradeoff=fill(question.tradeoff, template),
                               choices=choices)
