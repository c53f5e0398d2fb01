"""Answers: what the operator chose, and the template parameters those choices set.

Answers arrive in layers, weakest first: a deployment mode or saved profile, that profile's
overrides for the target account, the answers file, then ``--set``. ``resolve`` merges the
layers, walks the catalog in order (skipping questions whose ``when`` does not hold or whose
parameters the template lacks), checks each answer, and returns a ``Plan``: the answers in
force and the parameter values they produce, with where each value came from.

An answer given to a question the plan does not ask (the template lacks its parameters, or its
``when`` does not hold) is never dropped: the plan keeps it with the reason (``Plan.not_applied``),
and one of the answers file that asks for what the template cannot do is refused
(``wizard.flow.applicable``).

An answers file (YAML or JSON) is a complete headless run: mode, stack, answers, parameters,
output. It is validated by ``assets/schemas/answers.schema.json``; a bad one gets one message
naming the file, the JSON pointer, the line and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from wizard.atomic import read_text
from wizard.flow.applicable import NotApplied, not_applied
from wizard.flow.catalog import CHOICE, MULTI, Catalog, Question
from wizard.errors import InputError, suggestion
from wizard.cfn.parameters import as_parameter_text
from wizard.schemas import top_level_keys, validate
from wizard.cfn.template import Template
from wizard.cfn.yamlsource import line_at, parse_yaml

MAX_ANSWERS_BYTES = 1_048_576


@dataclass(frozen=True)
class Layer:
    """One source of answers and parameters (a mode, an account override, a file, ``--set``)."""

    name: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    data: Any = None  # the parsed document, for line numbers in messages
    portable: bool = False
    """A profile's layer: saved on one template, used on another (the embedded one, the vendor's),
    so its parameters the template lacks are left out and named (``Plan.left_out``), not refused."""
    given: bool = False
    """The answers file's layer: an answer in it that the template cannot apply is refused."""


@dataclass(frozen=True)
class AnswersFile:
    """A parsed, validated answers file."""

    source: str
    mode: str | None = None
    template: str | None = None
    stack: Mapping[str, str] = field(default_factory=dict)
    answers: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    output: Mapping[str, str] = field(default_factory=dict)
    baseline: str | None = None
    data: Any = None

    @property
    def layer(self) -> Layer:
        return Layer(self.source, self.answers, self.parameters, self.data, given=True)

    def relative(self, path: str) -> str:
        """A path named in the file, taken relative to the file's folder."""
        candidate = Path(path)
        return str(candidate if candidate.is_absolute() else Path(self.source).parent / candidate)


def read_document(path: str | Path, schema: str, error: type[InputError] = InputError) -> Any:
    """Read a YAML/JSON file with lines and validate it against ``schema``."""
    display = str(path)
    text = read_text(path, MAX_ANSWERS_BYTES, error)
    data = parse_yaml(text, display, error, string_keys=True)
    if data is None:
        raise error("the file is empty", file=display)
    keys = top_level_keys(schema)
    if not isinstance(data, dict) or not set(data) & set(keys):
        # Not one of ours (another YAML file, a list of words, /etc/shadow...): nothing of it is
        # quoted, since it may hold anything.
        found = "none of them" if isinstance(data, dict) else f"{_a(type(data).__name__)}"
        raise error(f"expected a YAML or JSON mapping with some of {', '.join(keys)}; found {found}", file=display)
    validate(data, schema, display, error)
    return data


def _a(kind: str) -> str:
    return {"str": "text", "list": "a list", "int": "a number", "float": "a number", "bool": "true or false",
            "LineList": "a list"}.get(kind, kind)


def load_answers_file(path: str | Path) -> AnswersFile:
    """Read and validate an answers file."""
    data = read_document(path, "answers")
    if not isinstance(data, dict):
        raise InputError("expected a mapping", file=str(path))
    return AnswersFile(
        source=str(path), mode=data.get("mode"), template=data.get("template"),
        stack=dict(data.get("stack") or {}), answers=data.get("answers") or {},
        parameters=data.get("parameters") or {}, tags=dict(data.get("tags") or {}),
        output=dict(data.get("output") or {}), baseline=data.get("baseline"), data=data)


@dataclass(frozen=True)
class Plan:
    """The answers in force and the template parameter values they produce."""

    answers: Mapping[str, Any]
    parameters: Mapping[str, str]
    origin: Mapping[str, str]
    asked: tuple[Question, ...]
    sources: Mapping[str, tuple[Layer, tuple]] = field(default_factory=dict)
    left_out: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per profile layer, the parameters it sets that the template lacks (left out)."""
    not_applied: Mapping[str, NotApplied] = field(default_factory=dict)
    """Answers given to questions this plan does not ask, each with the reason."""

    def given(self) -> dict[str, Any]:
        """Every answer given or in force: those the template applies, then those it does not."""
        return {**self.answers, **{k: n.value for k, n in self.not_applied.items()}}

    def left_out_warning(self) -> str | None:
        """One line naming the parameters a profile sets that this template lacks, or None."""
        if not self.left_out:
            return None
        parts = [f"{', '.join(names)} (from {layer})" for layer, names in self.left_out.items()]
        return f"not parameters of this template, left out: {'; '.join(parts)}"

    def in_force(self, question: Question) -> Any:
        """The answer a face shows as the one in force: what accepting it leaves unchanged.

        A typed question shows its parameter's value (an account override or ``--set`` may set
        it above the answer); a choice question the choice whose parameters are the ones in
        force, so accepting the shown answer never undoes a stronger layer's parameter."""
        if question.kind in (CHOICE, MULTI) or not question.parameter:
            answer = self.answers.get(question.id)
            if question.kind != CHOICE:
                return answer
            matching = [c.value for c in question.choices
                        if c.sets and all(self.parameters.get(k) == v for k, v in c.sets.items())]
            return answer if answer in matching or not matching else matching[0]
        if question.parameter in self.parameters:
            return self.parameters[question.parameter]
        return self.answers.get(question.id)

    def blame(self, error: InputError) -> InputError:
        """Point a parameter error at the answer or parameter entry that set the value."""
        source = self.sources.get(error.where or "")
        if source is None:
            return error
        layer, pointer = source
        return type(error)(error.message, file=layer.name,
                           where="/" + "/".join(str(p) for p in pointer) + f" ({error.where})",
                           line=line_at(layer.data, list(pointer)) if layer.data is not None else None)


def stack_layers(profile: Iterable[Layer], answers: AnswersFile | None = None,
                 settings: Mapping[str, Any] | None = None, operator: Iterable[Layer] = ()) -> list[Layer]:
    """The one order of layers every face uses, weakest first.

    The mode or profile with its account overrides (``profile``), the answers file, ``--set``,
    then what the operator typed in the wizard or at the prompts (``operator``; none headless).
    In the interactive faces ``--set`` is thus the default the operator may change; when the
    operator accepts every value shown (``Plan.in_force``), all faces write the same file.
    """
    layers = list(profile)
    if answers is not None:
        layers.append(answers.layer)
    if settings:
        layers.append(Layer("--set", {}, dict(settings)))
    layers += [layer for layer in operator if layer.answers or layer.parameters]
    return layers


def _fail(layer: Layer, pointer: list, message: str) -> InputError:
    where = "/" + "/".join(str(p) for p in pointer)
    return InputError(message, file=layer.name, where=where,
                      line=line_at(layer.data, pointer) if layer.data is not None else None)


def resolve(catalog: Catalog, template: Template, layers: Iterable[Layer],
            final: Mapping[str, Any] | None = None) -> Plan:
    """Merge layers of answers, walk the catalog, and give the parameter values.

    ``final`` (question id -> value) is applied last, above every layer: the "harden after"
    timeline uses it to put phase 1 on the standard answers.
    """
    layers = list(layers)
    questions = catalog.for_template(template)
    known = {q.id for q in catalog.questions}
    left_out: dict[str, list[str]] = {}
    answers: dict[str, Any] = {}
    answer_rank: dict[str, int] = {}
    answer_layer: dict[str, Layer] = {}
    explicit: dict[str, tuple[int, str, Layer]] = {}
    for rank, layer in enumerate(layers):
        for key, value in layer.answers.items():
            if key not in known:
                raise _fail(layer, ["answers", key], f"no question {key!r} in the catalog"
                                                     f"{suggestion(key, known)}")
            answers[key], answer_rank[key], answer_layer[key] = value, rank, layer
        for key, value in layer.parameters.items():
            if layer.portable and key not in template.parameters:
                left_out.setdefault(layer.name, []).append(key)
                continue
            explicit[key] = (rank, as_parameter_text(value), layer)
    for key, value in (final or {}).items():
        answers[key], answer_rank[key] = value, len(layers)
        answer_layer.pop(key, None)
    in_force: dict[str, Any] = {}
    parameters: dict[str, str] = {}
    origin: dict[str, str] = {}
    sources: dict[str, tuple[Layer, tuple]] = {}
    strength: dict[str, int] = {}
    asked = []
    for question in questions:
        if not question.applies(in_force):
            continue
        asked.append(question)
        if question.id in answers:
            value = answers[question.id]
        elif question.default is not None:
            value = list(question.default) if question.kind == MULTI else question.default
        else:
            continue
        problem = question.problem(value)
        if problem:
            layer = answer_layer.get(question.id)
            if layer is None:
                raise InputError(f"{question.id}: {problem}")
            raise _fail(layer, ["answers", question.id], problem)
        in_force[question.id] = value
        for name, text in question.parameter_values(value).items():
            parameters[name] = text
            strength[name] = answer_rank.get(question.id, -1)
            if question.id in answer_layer:
                origin[name] = answer_layer[question.id].name
                sources[name] = (answer_layer[question.id], ("answers", question.id))
    # A parameter set directly wins over an answer from the same or a weaker layer, and loses
    # to an answer from a stronger one: the documented order holds for both kinds of value.
    for name, (rank, text, layer) in explicit.items():
        if rank >= strength.get(name, -1):
            parameters[name] = text
            origin[name] = layer.name
            sources[name] = (layer, ("parameters", name))
    asked_ids = {q.id for q in asked}
    unasked: dict[str, NotApplied] = {}
    for key, value in answers.items():
        if key in asked_ids:
            continue
        layer = answer_layer.get(key)
        found = not_applied(catalog.question(key), value, template, in_force, layer.name if layer else "")
        if found.refused and layer is not None and layer.given:
            raise _fail(layer, ["answers", key], f"{value!r} cannot be applied: {found.reason}")
        unasked[key] = found
    return Plan(in_force, parameters, origin, tuple(asked), sources,
                {name: tuple(keys) for name, keys in left_out.items()}, unasked)
