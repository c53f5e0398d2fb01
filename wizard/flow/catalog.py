"""The question catalog: what the wizard asks and which template parameters each answer sets.

The catalog is data (``assets/questions.yaml``, validated by its JSON Schema at load). The
Textual screens, the line prompts and the headless run all walk the same ``Catalog``, so they
ask the same questions and produce the same parameters.

A catalog question is asked only when the template has the parameters it sets, so the wizard
works on any template; its texts may name facts of the template in use (``{external_principals}``,
filled by ``wizard.flow.facts``); the template's parameters that no question covers are asked
generically from the template's own ``Parameters`` (``GenericQuestion``), NoEcho ones hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from wizard.errors import InputError
from wizard.cfn.parameters import ParameterSpec
from wizard.paths import ASSETS
from wizard.schemas import validate
from wizard.cfn.template import Template
from wizard.cfn import parsecache
from wizard.cfn.yamlsource import parse_yaml
from wizard.memo import memo

CHOICE, MULTI, TEXT, LIST = "choice", "multi", "text", "list"


@dataclass(frozen=True)
class Recommends:
    """An answer a choice recommends for another question (``value`` None: any non-empty value)."""

    question: str
    why: str
    value: str | None = None


@dataclass(frozen=True)
class Choice:
    """One answer to a choice question, with the parameters it sets."""

    value: str
    label: str
    tradeoff: str = ""
    sets: Mapping[str, str] = field(default_factory=dict)
    recommends: tuple[Recommends, ...] = ()


@dataclass(frozen=True)
class Recommendation:
    """What the answers given recommend for one question, and which chosen answers say so."""

    value: str | None
    by: tuple[str, ...]
    why: str

    def met(self, answer: Any) -> bool:
        if self.value is None:
            return bool(str(answer or "").strip())
        return answer == self.value

    def describe(self, question: "Question") -> str:
        """``Recommended for HIPAA, PCI DSS v4: Yes, integrate with CloudWatch Logs (why)``."""
        choice = question.choice(self.value) if self.value is not None else None
        wanted = choice.label if choice else self.value if self.value is not None else f"a {question.parameter} value"
        return f"Recommended for {', '.join(self.by)}: {wanted} ({self.why})"


@dataclass(frozen=True)
class Question:
    """One question of the catalog."""

    id: str
    section: str
    title: str
    help: str
    tradeoff: str
    kind: str
    concern: str = ""
    default: str | tuple[str, ...] | None = None
    hardening: bool = False
    placeholder: str = ""
    parameter: str | None = None
    max_items: int | None = None
    when: Mapping[str, Any] | None = None
    choices: tuple[Choice, ...] = ()

    @property
    def parameters(self) -> frozenset[str]:
        """Every template parameter an answer to this question can set."""
        names = {self.parameter} if self.parameter else set()
        for choice in self.choices:
            names.update(choice.sets)
        return frozenset(names)

    def choice(self, value: str) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)

    def applies(self, answers: Mapping[str, Any]) -> bool:
        """Whether the ``when`` condition holds for the answers given so far."""
        if not self.when:
            return True
        given = answers.get(self.when["question"])
        values = set(given) if isinstance(given, (list, tuple)) else {given}
        if "equals" in self.when:
            return self.when["equals"] in values
        if "any_of" in self.when:
            return bool(values & set(self.when["any_of"]))
        return given is not None

    def problem(self, value: Any) -> str | None:
        """What is wrong with an answer, or None."""
        if self.kind == CHOICE:
            if not isinstance(value, str) or self.choice(value) is None:
                return f"expected one of {', '.join(c.value for c in self.choices)}, found {value!r}"
        elif self.kind == MULTI:
            values = value if isinstance(value, (list, tuple)) else None
            if values is None:
                return f"expected a list of {', '.join(c.value for c in self.choices)}"
            unknown = [v for v in values if self.choice(v) is None]
            if unknown:
                return f"{unknown[0]!r} is not one of {', '.join(c.value for c in self.choices)}"
        elif not isinstance(value, (str, list, tuple)):
            return f"expected text, found {value!r}"
        elif self.kind == LIST and self.max_items is not None:
            items = [v for v in (value.split(",") if isinstance(value, str) else value) if v != ""]
            if len(items) > self.max_items:
                return f"at most {self.max_items} values are honoured, found {len(items)}"
        return None

    def parameter_values(self, value: Any) -> dict[str, str]:
        """The template parameters this answer sets."""
        if self.kind == CHOICE:
            choice = self.choice(value)
            return dict(choice.sets) if choice else {}
        if self.kind == MULTI:
            found: dict[str, str] = {}
            for item in value or ():
                choice = self.choice(item)
                if choice:
                    found.update(choice.sets)
            return found
        text = ",".join(value) if isinstance(value, (list, tuple)) else str(value)
        return {self.parameter: text} if self.parameter else {}


@dataclass(frozen=True)
class GenericQuestion:
    """A template parameter no catalog question covers, asked from its own declaration."""

    spec: ParameterSpec
    group: str = ""

    @property
    def id(self) -> str:
        return self.spec.name

    @property
    def title(self) -> str:
        return self.spec.name

    @property
    def help(self) -> str:
        return self.spec.description

    @property
    def required(self) -> bool:
        return self.spec.default is None


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    help: str = ""


@dataclass(frozen=True)
class Catalog:
    """Sections and questions, in the order the wizard asks them."""

    sections: tuple[Section, ...]
    questions: tuple[Question, ...]
    source: str = ""

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def recommendations(self, answers: Mapping[str, Any]) -> dict[str, Recommendation]:
        """Question id -> the answer the chosen answers recommend (the frameworks: HIPAA and PCI
        DSS recommend the KMS key, CloudWatch Logs, multi-region logging), with who says so."""
        found: dict[str, Recommendation] = {}
        for question in self.questions:
            given = answers.get(question.id)
            for value in (given if isinstance(given, (list, tuple)) else [given]):
                choice = question.choice(value) if isinstance(value, str) else None
                for item in choice.recommends if choice else ():
                    known = found.get(item.question)
                    by = (known.by if known else ()) + (choice.label,)
                    found[item.question] = Recommendation(item.value, by, item.why)
        return found

    def for_template(self, template: Template) -> tuple[Question, ...]:
        """The questions this template can honour (all parameters they set exist in it), their
        texts filled with the template's facts (``wizard.flow.facts``)."""
        from wizard.flow.facts import filled

        names = set(template.parameters)
        return tuple(filled(q, template) for q in self.questions if q.parameters <= names)

    def question_for(self, question_id: str, template: Template) -> Question:
        """One question, its texts filled with the facts of ``template``."""
        from wizard.flow.facts import filled

        return filled(self.question(question_id), template)

    def covered(self, template: Template) -> frozenset[str]:
        """Template parameters the catalog's questions set."""
        covered: set[str] = set()
        for question in self.for_template(template):
            covered |= question.parameters
        return frozenset(covered)

    def generic(self, template: Template) -> tuple[GenericQuestion, ...]:
        """The template's other parameters, in its Interface order, required ones first."""
        covered = self.covered(template)
        groups = {name: label for label, names in template.parameter_groups() for name in names}
        ordered = [n for _, names in template.parameter_groups() for n in names]
        ordered += [n for n in template.parameters if n not in ordered]
        found = [GenericQuestion(template.parameters[n], groups.get(n, "")) for n in ordered if n not in covered]
        return tuple(sorted(found, key=lambda g: not g.required))


def _question(raw: Mapping[str, Any]) -> Question:
    default = raw.get("default")
    return Question(
        id=raw["id"], section=raw["section"], title=raw["title"], help=raw["help"].strip(),
        tradeoff=raw["tradeoff"].strip(), kind=raw["kind"], concern=raw.get("concern", ""),
        default=tuple(default) if isinstance(default, list) else default,
        hardening=bool(raw.get("hardening", False)), placeholder=raw.get("placeholder", ""),
        parameter=raw.get("parameter"), max_items=raw.get("max_items"), when=raw.get("when"),
        choices=tuple(Choice(c["value"], c["label"], c.get("tradeoff", ""), dict(c.get("sets") or {}),
                             tuple(Recommends(r["question"], r["why"], r.get("value"))
                                   for r in c.get("recommends") or ()))
                      for c in raw.get("choices") or ()),
    )


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Load a catalog file (the shipped one by default, read once); a file given is validated
    against its JSON Schema, the shipped one is checked by the tests instead of on every run and
    parsed by the cache folder's copy when there is one (``wizard.cfn.parsecache``)."""
    return _load(str(path or ASSETS / "questions.yaml"), path is not None)


@memo(maxsize=8)
def _load(path: str, check: bool = True) -> Catalog:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the question catalog: {exc.strerror}", file=path) from None
    if check:
        data = parse_yaml(text, path)
        validate(data, "questions", path)
    else:
        data = parsecache.read_shipped(text, path)  # the shipped one, parsed before
    sections = tuple(Section(s["id"], s["title"], s.get("help", "").strip()) for s in data["sections"])
    questions = tuple(_question(q) for q in data["questions"])
    known_sections = {s.id for s in sections}
    seen: set[str] = set()
    for index, question in enumerate(questions):
        where = f"/questions/{index}"
        if question.id in seen:
            raise InputError(f"question id {question.id!r} appears twice", file=path, where=where)
        if question.section not in known_sections:
            raise InputError(f"section {question.section!r} is not declared", file=path, where=where)
        if question.when and question.when["question"] not in seen:
            raise InputError(f"'when' refers to {question.when['question']!r}, which is not asked before",
                             file=path, where=where)
        for choice in question.choices:
            for item in choice.recommends:
                if item.question not in {q.id for q in questions}:
                    raise InputError(f"{choice.value!r} recommends an answer to {item.question!r}, which is not a "
                                     "question", file=path, where=where)
        if question.default is not None and question.kind in (CHOICE, MULTI):
            problem = question.problem(list(question.default) if question.kind == MULTI else question.default)
            if problem:
                raise InputError(f"default: {problem}", file=path, where=where)
        seen.add(question.id)
    return Catalog(sections, questions, path)
