"""Template parameters, validated the way CloudFormation validates them.

Values arrive as strings (from a parameter file, ``--set``, an answers file or a screen) and
are checked against the template's declaration: type, AllowedValues, AllowedPattern (a full
match), MinLength/MaxLength, MinValue/MaxValue. List types are split on commas and each
element is checked. A parameter with neither a value nor a Default stays *unresolved*: it is
carried through analysis as a named placeholder (``<AdminEmail>``) so that a template can be
analysed before an operator has every value; a Condition that depends on it is an error.

NoEcho values are kept here (CloudFormation needs them) but ``display`` masks them, and
nothing that prints or saves parameters may use the raw value. ``Ref`` to a NoEcho parameter
gives a ``Secret``: text that evaluates as itself but shows as ``****``; the evaluator marks
everything made from one as a ``Secret`` too and hands out only what it shows.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Protocol

from wizard import verdicts
from wizard.errors import ParameterError, suggestion
from wizard.memo import memo, once
from wizard.paths import ASSETS, cache_dir

class Declaring(Protocol):
    """What validation needs of a template: its file, its lines and its declarations.

    ``wizard.cfn.template.Template`` is one; naming the need here keeps this module free of an
    import of the template module (which imports this one).
    """

    source: str

    @property
    def parameters(self) -> Mapping[str, "ParameterSpec"]: ...

    def line_of(self, *path: Any) -> int | None: ...


MASK = "****"
#: NoEcho values shorter than this are not searched for in output (they would mask noise).
MIN_SECRET = 4

#: Past this many characters a value is quoted cut short in a message.
_SHOWN = 60
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_LIST_TYPE = re.compile(r"^List<(.+)>$")
_EC2_ID_TYPE = re.compile(r"^AWS::EC2::[A-Za-z]+::(Id|Name)$|^AWS::Route53::HostedZone::Id$")


class Unresolved(str):
    """A placeholder for a parameter that has no value yet; it renders as ``<Name>``.

    ``label`` names a part of the value (``QuiltWebHost[1]``) when a template takes one apart.
    """

    __slots__ = ("parameter",)

    def __new__(cls, parameter: str, label: str | None = None) -> "Unresolved":
        obj = super().__new__(cls, f"<{label or parameter}>")
        obj.parameter = parameter
        return obj


class Secret(str):
    """A NoEcho value, or a value made from one: it compares, joins and splits as its real
    text, but ``repr`` and formatting give ``shown`` (``****``, or the text with the secret
    parts masked), so a message that quotes it never repeats it."""

    __slots__ = ("shown",)

    def __new__(cls, text: str, shown: str = "****") -> "Secret":
        obj = super().__new__(cls, text)
        obj.shown = shown
        return obj

    def __repr__(self) -> str:
        return repr(self.shown)

    def __format__(self, spec: str) -> str:
        return format(self.shown, spec)


def shown(value: Any) -> Any:
    """``value`` with every ``Secret`` in it replaced by what it shows (the same object when
    it holds none)."""
    if isinstance(value, Secret):
        return str.__str__(value.shown)
    if isinstance(value, dict):
        out = {key: shown(item) for key, item in value.items()}
        return value if all(out[k] is value[k] for k in value) else out
    if isinstance(value, list):
        items = [shown(item) for item in value]
        return value if all(a is b for a, b in zip(items, value)) else items
    return value


def secret(value: Any) -> Any:
    """``value`` marked as made from a NoEcho value: every string in it becomes a ``Secret``."""
    if isinstance(value, Secret) or isinstance(value, Unresolved):
        return value
    if isinstance(value, str):
        return Secret(value)
    if isinstance(value, list):
        return [secret(item) for item in value]
    if isinstance(value, dict):
        return {key: secret(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class ParameterSpec:
    """One declared template parameter."""

    name: str
    type: str
    description: str = ""
    default: str | None = None
    allowed_values: tuple[str, ...] | None = None
    allowed_pattern: str | None = None
    constraint_description: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    no_echo: bool = False
    line: int | None = None

    @classmethod
    def from_template(cls, name: str, spec: Any, template: "Declaring") -> "ParameterSpec":
        line = template.line_of("Parameters", name)
        if not isinstance(spec, dict) or not isinstance(spec.get("Type"), str):
            raise ParameterError("a parameter needs a Type", file=template.source,
                                 where=f"Parameters/{name}", line=line)

        def number(key: str) -> float | None:
            value = spec.get(key)
            if value is None:
                return None
            if isinstance(value, bool) or not _NUMBER.fullmatch(str(value)) or not math.isfinite(float(value)):
                raise ParameterError(f"{key} must be a number, found {value!r}", file=template.source,
                                     where=f"Parameters/{name}", line=line)
            return float(value)

        allowed = spec.get("AllowedValues")
        if allowed is not None and not isinstance(allowed, list):
            raise ParameterError("AllowedValues must be a list", file=template.source,
                                 where=f"Parameters/{name}", line=line)
        default = spec.get("Default")
        if isinstance(default, list):
            default = ",".join(as_parameter_text(v) for v in default)
        if default is not None and allowed is not None:
            permitted = {as_parameter_text(v) for v in allowed}
            text = as_parameter_text(default)
            parts = text.split(",") if "List" in str(spec["Type"]) else [text]
            outside = [p for p in parts if p not in permitted]
            if outside:
                shown_default = "the Default" if str(spec.get("NoEcho", "")).lower() == "true" else f"Default {outside[0]!r}"
                raise ParameterError(f"{shown_default} is not one of the AllowedValues: "
                                     f"{', '.join(sorted(permitted))}", file=template.source,
                                     where=f"Parameters/{name}", line=line)
        return cls(
            name=name,
            type=spec["Type"],
            description=str(spec.get("Description") or ""),
            default=None if default is None else as_parameter_text(default),
            allowed_values=None if allowed is None else tuple(as_parameter_text(v) for v in allowed),
            allowed_pattern=None if spec.get("AllowedPattern") is None else str(spec["AllowedPattern"]),
            constraint_description=spec.get("ConstraintDescription"),
            min_length=None if spec.get("MinLength") is None else int(number("MinLength")),
            max_length=None if spec.get("MaxLength") is None else int(number("MaxLength")),
            min_value=number("MinValue"),
            max_value=number("MaxValue"),
            no_echo=str(spec.get("NoEcho", "false")).lower() == "true",
            line=line,
        )

    @property
    def is_list(self) -> bool:
        return self.type == "CommaDelimitedList" or bool(_LIST_TYPE.match(self.type))

    @property
    def element_type(self) -> str:
        match = _LIST_TYPE.match(self.type)
        return match.group(1) if match else "String"

    @property
    def is_ssm(self) -> bool:
        return self.type.startswith("AWS::SSM::Parameter::")

    def problem(self, raw: str) -> str | None:
        """What is wrong with ``raw`` for this parameter, or None when CloudFormation would take it."""
        if self.is_ssm:
            if not raw:
                return "expected the name of an SSM parameter"
            return self._form_problem(raw, SSM_NAME)
        if self.type == "String" or self.type == "Number":
            return self._element_problem(raw, self.type)
        if self.is_list:
            elements = raw.split(",")
            kind = self.element_type if self.type != "CommaDelimitedList" else "String"
            if _aws_specific(kind) and not all(elements):
                return f"expected a comma-separated list of {kind} values, found an empty element"
            for element in elements:
                problem = self._form_problem(element, kind)
                if problem:
                    return problem if len(elements) == 1 else f"element {problem}"
                problem = self._element_problem(element, kind, checks_length=False)
                if problem:
                    return problem if len(elements) == 1 else f"element {self._shown(element)}: {problem}"
            return None
        if _aws_specific(self.type):
            if not raw:
                return f"expected a value of type {self.type}"
            return self._form_problem(raw, self.type) or self._element_problem(raw, "String", checks_length=False)
        return None

    def _form_problem(self, raw: str, kind: str) -> str | None:
        """Whether ``raw`` has the form CloudFormation requires of an AWS-specific ``kind``
        (``assets/parameter-types.yaml``); None for a type without one."""
        form = aws_forms().get(kind)
        if form is None or form.pattern.fullmatch(raw):
            return None
        return f"{self._shown(raw)} is not {kind}: expected {form.expected}, such as {form.example}"

    def _element_problem(self, raw: str, kind: str, checks_length: bool = True) -> str | None:
        if kind == "Number":
            if not _NUMBER.fullmatch(raw):
                return f"expected a number, found {self._shown(raw)}"
            number = float(raw)
            if self.min_value is not None and number < self.min_value:
                return f"{self._shown(raw)} is below MinValue {_fmt(self.min_value)}"
            if self.max_value is not None and number > self.max_value:
                return f"{self._shown(raw)} is above MaxValue {_fmt(self.max_value)}"
        if self.allowed_values is not None and raw not in self.allowed_values:
            return f"{self._shown(raw)} is not one of the AllowedValues: {', '.join(self.allowed_values)}"
        if self.allowed_pattern is not None and kind != "Number":
            try:
                matched = pattern_matches(self.allowed_pattern, raw, secret=self.no_echo)
            except TimeoutError:
                return (f"AllowedPattern {self.allowed_pattern} takes too long to match {self._shown(raw)} "
                        "(a pattern that backtracks without end?)")
            if not matched:
                hint = f" ({self.constraint_description})" if self.constraint_description else ""
                return f"{self._shown(raw)} does not match AllowedPattern {self.allowed_pattern}{hint}"
        if checks_length and kind == "String":
            if self.min_length is not None and len(raw) < self.min_length:
                return f"{self._shown(raw)} is shorter than MinLength {self.min_length}"
            if self.max_length is not None and len(raw) > self.max_length:
                return f"{self._shown(raw)} is longer than MaxLength {self.max_length}"
        return None

    def _shown(self, raw: str) -> str:
        if self.no_echo:
            return "the value"
        return repr(raw) if len(raw) <= _SHOWN else f"{raw[:_SHOWN]!r}... ({len(raw):,} characters)"

    def value_of(self, raw: str) -> str | list[str]:
        """What ``Ref`` to this parameter gives for a raw string: a string, or a list for list types."""
        return raw.split(",") if self.is_list else raw


@dataclass(frozen=True)
class AwsForm:
    """The form of a value of an AWS-specific parameter type, from ``assets/parameter-types.yaml``."""

    pattern: re.Pattern[str]
    expected: str
    example: str


#: The type whose form an SSM parameter type's value (the name of an SSM parameter) has.
SSM_NAME = "AWS::SSM::Parameter::Name"
PARAMETER_TYPES_ASSET = ASSETS / "parameter-types.yaml"


@once
def aws_forms() -> dict[str, AwsForm]:
    """Every AWS-specific parameter type's form (read once; its schema is checked by the tests)."""
    from wizard.cfn import parsecache

    data = parsecache.read_shipped(PARAMETER_TYPES_ASSET.read_text(encoding="utf-8"), str(PARAMETER_TYPES_ASSET))
    return {name: AwsForm(re.compile(spec["pattern"]), spec["expected"], spec["example"])
            for name, spec in data["types"].items()}


def _aws_specific(kind: str) -> bool:
    """Whether ``kind`` is an AWS-specific type (a value CloudFormation looks up in the account)."""
    return bool(_EC2_ID_TYPE.match(kind)) or kind in aws_forms()


#: Seconds an AllowedPattern may take on one value; past it the value is refused.
PATTERN_SECONDS = 1.0


#: The verdicts (``wizard.verdicts``) of a pattern matching a value; the suffix changes with the engine's use.
PATTERN_VERDICTS = "allowed-pattern-1"


def pattern_matches(pattern: str, text: str, *, secret: bool = False) -> bool:
    """Whether ``pattern`` matches the whole of ``text``, in bounded time.

    The ``regex`` engine (the dialect of ``re`` plus much of Java's, which CloudFormation uses)
    stops after ``PATTERN_SECONDS`` with ``TimeoutError``; a pattern it cannot read is not held
    against the value (CloudFormation's dialect is Java's). A match is remembered across runs
    (``wizard.verdicts``, by the digest of pattern and value), so the same answers checked again
    load no engine; a ``secret`` (NoEcho) value's match is never written down, unless the value
    is empty (which holds no secret).
    """
    if secret and text:
        return _matches(pattern, text, None)
    return _remembered_match(pattern, text, str(cache_dir()))


@memo(maxsize=8192)
def _remembered_match(pattern: str, text: str, folder: str) -> bool:
    """``pattern_matches`` of a value that is no secret, asked once a process for each cache
    folder the verdicts are kept in (a fleet checks the same values for each of its accounts,
    each several times)."""
    return _matches(pattern, text, _pattern_digest(pattern, text))


def _matches(pattern: str, text: str, digest: str | None) -> bool:
    if digest is not None and verdicts.known(PATTERN_VERDICTS, digest):
        return True
    import regex

    try:
        matched = regex.fullmatch(pattern, text, timeout=PATTERN_SECONDS) is not None
    except (regex.error, ValueError, OverflowError):
        return True
    if matched and digest is not None:
        verdicts.remember(PATTERN_VERDICTS, digest)
    return matched


def _pattern_digest(pattern: str, text: str) -> str:
    body = f"{len(pattern)}\0{pattern}\0{text}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(body).hexdigest()


def as_parameter_text(value: Any) -> str:
    """A value as CloudFormation takes it: a string (``true``/``false`` for booleans, a list
    joined with commas, nothing for None)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return ",".join(as_parameter_text(v) for v in value)
    return "" if value is None else str(value)


def _fmt(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)


@dataclass(frozen=True)
class ParameterValues:
    """The parameter values of one evaluation, validated against the template."""

    raw: Mapping[str, str]
    specs: Mapping[str, ParameterSpec]
    unresolved: tuple[str, ...]

    def ref(self, name: str) -> str | list[str]:
        """What ``Ref: name`` yields; a placeholder for an unresolved parameter."""
        spec = self.specs[name]
        if name in self.raw:
            value = spec.value_of(self.raw[name])
            return secret(value) if spec.no_echo else value
        placeholder = Unresolved(name)
        return [placeholder] if spec.is_list else placeholder

    def display(self) -> dict[str, str]:
        """Every parameter's value for showing to a person: NoEcho masked, unresolved marked."""
        shown = {}
        for name, spec in self.specs.items():
            if name not in self.raw:
                shown[name] = f"<{name}>"
            elif spec.no_echo:
                shown[name] = MASK
            else:
                shown[name] = self.raw[name]
        return shown

    @property
    def secrets(self) -> tuple[str, ...]:
        """The NoEcho values given (longest first), for masking anything printed or saved."""
        found = {self.raw[name] for name, spec in self.specs.items()
                 if spec.no_echo and len(self.raw.get(name) or "") >= MIN_SECRET}
        return tuple(sorted(found, key=len, reverse=True))

    @property
    def explicit(self) -> dict[str, str]:
        """The values that differ from the template defaults (what a parameter file must carry)."""
        return {k: v for k, v in self.raw.items() if self.specs[k].default != v}


def resolve_parameters(template: "Declaring", given: Mapping[str, Any], *,
                       origin: Mapping[str, str] | None = None) -> ParameterValues:
    """Validate ``given`` against the template and fill defaults.

    ``origin`` optionally names where each value came from (a file, ``--set``) for messages.
    Raises ParameterError naming the parameter and what was expected.
    """
    specs = template.parameters
    origin = origin or {}
    raw: dict[str, str] = {}
    for name, value in given.items():
        spec = specs.get(name)
        if spec is None:
            raise ParameterError(f"the template has no parameter {name}{suggestion(name, specs)}",
                                 file=origin.get(name), where=name)
        value = as_parameter_text(value)
        problem = spec.problem(value)
        if problem:
            raise ParameterError(problem, file=origin.get(name), where=name)
        raw[name] = value
    unresolved = []
    for name, spec in specs.items():
        if name in raw:
            continue
        if spec.default is not None:
            raw[name] = spec.default
        else:
            unresolved.append(name)
    return ParameterValues(raw=raw, specs=specs, unresolved=tuple(unresolved))


def mask_secrets(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` (text, or mappings and lists of it) with every secret replaced by ``****``,
    also where it appears JSON-escaped."""
    import json

    secrets = tuple(secrets)
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK).replace(json.dumps(secret)[1:-1], MASK)
        return value
    if isinstance(value, dict):
        return {key: mask_secrets(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item, secrets) for item in value]
    return value
