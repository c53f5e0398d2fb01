"""Parameter files in the formats AWS tools read, and ``KEY=VALUE`` settings.

Four formats, read and written:

- ``cfn``: the CloudFormation CLI list, ``[{"ParameterKey": k, "ParameterValue": v}]``
  (``aws cloudformation create-stack --parameters file://...``);
- ``overrides``: ``Key=Value`` lines (``aws cloudformation deploy --parameter-overrides``);
- ``codepipeline``: the template configuration, ``{"Parameters": {...}, "Tags": {...}}``;
- ``tfvars``: a Terraform variables file (``*.auto.tfvars.json``) for the vendor's Terraform
  module, ``{"parameters": {...}, "template_file": ...}``. The module computes some parameters
  from the resources it creates (network, database, search domain: ``assets/terraform-module.yaml``
  names them); those are left out, and so are NoEcho values, which do not belong in a file a
  repository keeps: a ``//`` note (Terraform reads it as a comment) says where each goes.

Every value is written as a string, as CloudFormation wants (writing the file itself is
``wizard.atomic``'s job).

The ``overrides`` format has no quoting: ``aws cloudformation deploy --parameter-overrides
$(cat FILE)`` splits the file into words at whitespace (quotes in the output of ``$(...)`` are
not shell syntax) and the CLI splits each word at its first ``=``. A value holding whitespace
would become two settings, so such a value (and quotes, backslashes and control characters,
which ``xargs`` or a pasted command line would interpret) is refused for that format; the JSON
formats carry any text.
"""

from __future__ import annotations

import json
import os
import re
from typing import Iterable, Mapping

from wizard.atomic import read_text
from wizard.errors import InputError
from wizard.paths import ASSETS
from wizard.cfn.parameters import as_parameter_text
from wizard.memo import memo

FORMATS = ("cfn", "overrides", "codepipeline", "tfvars")
#: A parameter file is small (CloudFormation allows 200 parameters of 4 KB): past this, refuse.
MAX_PARAMETER_FILE_BYTES = 1_048_576

#: What the ``overrides`` format cannot carry: whitespace (word splitting), quotes and
#: backslashes (quoting, for xargs and pasted commands) and control characters.
_OVERRIDES_UNSAFE = re.compile(r"[\s\"'`\\\x00-\x1f\x7f-\x9f\u2028\u2029]")
_OVERRIDES_KEY = re.compile(r"[A-Za-z0-9]+")


def parse_assignments(items: Iterable[str], origin: str = "--set") -> dict[str, str]:
    """``KEY=VALUE`` strings to a mapping; a malformed item is an InputError."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"expected KEY=VALUE, found {item!r}", where=origin)
        values[key] = value
    return values


def read_parameter_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a parameter file in any of the three formats (detected from its content)."""
    display = str(path)
    text = read_text(path, MAX_PARAMETER_FILE_BYTES)
    stripped = text.lstrip()
    if not stripped.startswith(("[", "{")):
        return _read_overrides(text, display)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=display, line=exc.lineno) from None
    except ValueError:
        raise InputError("a number of more digits than can be read; quote it (every value is a string)",
                         file=display) from None
    except RecursionError:
        raise InputError("nested too deeply to be read", file=display) from None
    if isinstance(data, list):
        values = {}
        for index, item in enumerate(data):
            if not (isinstance(item, dict) and isinstance(item.get("ParameterKey"), str)
                    and "ParameterValue" in item):
                raise InputError('expected {"ParameterKey": ..., "ParameterValue": ...}',
                                 file=display, where=f"/{index}")
            values[item["ParameterKey"]] = as_parameter_text(item["ParameterValue"])
        return values
    if isinstance(data, dict) and isinstance(data.get("Parameters"), dict):
        return {str(k): as_parameter_text(v) for k, v in data["Parameters"].items()}
    if isinstance(data, dict) and isinstance(data.get("parameters"), dict):
        return {str(k): as_parameter_text(v) for k, v in data["parameters"].items()}
    raise InputError('expected a list of {"ParameterKey", "ParameterValue"}, {"Parameters": {...}} '
                     "or KEY=VALUE lines", file=display)


def _read_overrides(text: str, display: str) -> dict[str, str]:
    """``Key=Value`` words as ``deploy --parameter-overrides $(cat FILE)`` sees them: split at
    whitespace, then each word at its first ``=`` (lines starting with ``#`` are comments)."""
    values = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        for index, word in enumerate(line.split(), start=1):
            key, sep, value = word.partition("=")
            if not sep or not key:
                # The word is never quoted: it may be the rest of a secret that held a space, or a
                # line of a file that is not a parameter file at all.
                raise InputError(f"expected KEY=VALUE words; word {index} of the line is not one (the format "
                                 "splits at whitespace: a value with a space needs the cfn format)",
                                 file=display, line=number)
            values[key] = value
    return values


def _override_line(key: str, value: str) -> str:
    """One ``Key=Value`` line, or an InputError when the value would not survive word splitting."""
    if not _OVERRIDES_KEY.fullmatch(key):
        raise InputError("a parameter name the overrides format cannot carry; use --format cfn",
                         where=key[:64])
    if _OVERRIDES_UNSAFE.search(value):
        raise InputError("the value holds whitespace, a quote, a backslash or a control character, "
                         "which `--parameter-overrides $(cat FILE)` would split or misread; "
                         "use --format cfn or codepipeline", where=key)
    return f"{key}={value}\n"


def render_parameter_file(values: Mapping[str, str], fmt: str, tags: Mapping[str, str] | None = None, *,
                          secrets: frozenset[str] = frozenset(), template_file: str | None = None) -> str:
    """The text of a parameter file in format ``fmt`` (``secrets``, the NoEcho parameters, and
    ``template_file``, the template to deploy, are for ``tfvars``)."""
    if fmt == "cfn":
        items = [{"ParameterKey": k, "ParameterValue": as_parameter_text(v)} for k, v in values.items()]
        return json.dumps(items, indent=2) + "\n"
    if fmt == "overrides":
        return "".join(_override_line(k, as_parameter_text(v)) for k, v in values.items())
    if fmt == "codepipeline":
        body = {"Parameters": {k: as_parameter_text(v) for k, v in values.items()},
                "Tags": {k: as_parameter_text(v) for k, v in (tags or {}).items()}}
        return json.dumps(body, indent=2) + "\n"
    if fmt == "tfvars":
        return _tfvars(values, secrets, template_file)
    raise InputError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}", where="--format")


@memo(maxsize=1)
def terraform_module() -> dict:
    """What the vendor's Terraform module computes itself, and its variables' names."""
    from wizard.flow.answers import read_document

    return read_document(ASSETS / "terraform-module.yaml", "terraform-module")


def _tfvars(values: Mapping[str, str], secrets: frozenset[str], template_file: str | None) -> str:
    module = terraform_module()
    computed = module["computed"]
    kept = {k: as_parameter_text(v) for k, v in values.items() if k not in computed and k not in secrets}
    notes = [f"For {module['module']}: pass var.{module['parameters_variable']} and "
             f"var.{module['template_variable']} on to the module."]
    left = [f"{k} (set {computed[k]['variable']})" if computed[k].get("variable") else k
            for k in values if k in computed]
    if left:
        notes.append(f"Left out, the module computes them: {', '.join(left)}.")
    hidden = [k for k in values if k in secrets and k not in computed]
    if hidden:
        notes.append(f"Secret (NoEcho) parameters not written: {', '.join(hidden)}; merge them into "
                     f"{module['parameters_variable']} in the root module from a secret store (a sensitive "
                     "variable, TF_VAR_ from the CI's secrets, or aws_secretsmanager_secret_version).")
    body = {"//": " ".join(notes), module["template_variable"]: template_file,
            module["parameters_variable"]: kept}
    return json.dumps(body, indent=2) + "\n"


def default_path(fmt: str) -> str:
    """The parameter file's name when none is given (Terraform loads ``*.auto.tfvars.json`` itself)."""
    return "quilt.auto.tfvars.json" if fmt == "tfvars" else "quilt-parameters.json"


def check_path(path: str, fmt: str) -> None:
    """A Terraform variables file must be named so that Terraform reads it as one."""
    if fmt == "tfvars" and not path.endswith(".tfvars.json"):
        raise InputError("a Terraform variables file must end in .tfvars.json (.auto.tfvars.json to be "
                         "loaded without -var-file)", where="--out", file=path)
