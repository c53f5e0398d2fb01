"""A deployed stack's outputs, the catalog's address first.

What an operator wants once the stack is up is where the catalog is, and what to point at it
(the load balancer's DNS name for the CNAME). The outputs are read from CloudFormation (the
deployed truth, not the template), listed in CloudFormation's order, with the catalog URL
first: from the ``QuiltWebHost`` output of the vendor's template, or the stack's
``QuiltWebHost`` parameter, or an output whose name says it is the catalog's URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from wizard.aws.session import AwsSession

HOST_KEY = "QuiltWebHost"
_CATALOG_URL = re.compile(r"catalog.*ur[li]", re.IGNORECASE)


@dataclass(frozen=True)
class StackOutput:
    """One output of a deployed stack."""

    key: str
    value: str
    description: str = ""
    export: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "value": self.value, "description": self.description,
                "export": self.export}


def catalog_url(outputs: tuple[StackOutput, ...], parameters: Mapping[str, str] | None = None) -> str | None:
    """The catalog's https URL, when the outputs or the parameters say where it is."""
    for output in outputs:
        if _CATALOG_URL.search(output.key) and output.value.startswith("http"):
            return output.value
    host = next((o.value for o in outputs if o.key == HOST_KEY), None) or (parameters or {}).get(HOST_KEY)
    if host and host != "****":
        return host if host.startswith("http") else f"https://{host}"
    return None


def read_outputs(session: AwsSession, stack_name: str) -> tuple[StackOutput, ...]:
    """The stack's outputs, with the catalog URL first (as an output called ``CatalogUrl`` when
    the stack only has the host name)."""
    answer = session.call("cloudformation", "describe_stacks", StackName=stack_name)
    stack = (answer.get("Stacks") or [{}])[0]
    outputs = tuple(StackOutput(key=o.get("OutputKey", ""), value=str(o.get("OutputValue", "")),
                                description=o.get("Description") or "", export=o.get("ExportName"))
                    for o in stack.get("Outputs") or [])
    parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters") or []}
    url = catalog_url(outputs, parameters)
    if url is None:
        return outputs
    first = [o for o in outputs if o.value == url]
    rest = [o for o in outputs if o.value != url]
    if not first:
        first = [StackOutput("CatalogUrl", url, f"the catalog (from {HOST_KEY})")]
    return (*first, *rest)


def render_outputs(outputs: tuple[StackOutput, ...]) -> str:
    """``Outputs:`` then one ``key  value`` line each, the catalog first."""
    if not outputs:
        return "Outputs: none.\n"
    width = max(len(o.key) for o in outputs)
    lines = ["Outputs:"] + [f"  {o.key:<{width}}  {o.value}" for o in outputs]
    return "\n".join(lines) + "\n"
