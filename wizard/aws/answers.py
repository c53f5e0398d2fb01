"""AWS answers that know where they came from, so that one of the wrong shape is one clear line.

botocore reads an answer by the operation's shape and leaves out whatever the body does not
have: an endpoint that answers ``200 OK`` with a body of another shape (a proxy's page in XML, a
stub, a service of another protocol) gives a dict without the members the wizard reads. Every
answer of :class:`wizard.aws.session.AwsSession` is an :class:`Answer`: reading a member it lacks
(``answer["Stacks"][0]["StackStatus"]``) raises :class:`MalformedAnswer`, naming the endpoint, the
call and the member (``Stacks[0].StackStatus``), exit 3, instead of a ``KeyError`` from deep inside
the code that read it. ``.get`` and every other dict and list behaviour are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wizard.aws.errors import NOT_AWS, MalformedAnswer

__all__ = ["Answer", "AnswerList", "MalformedAnswer", "answer_of"]


@dataclass(frozen=True)
class _Source:
    endpoint: str
    action: str


class Answer(dict):
    """A dict read from an AWS answer: a missing member is a :class:`MalformedAnswer`."""

    __slots__ = ("_source", "_path")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._source: _Source | None = None
        self._path = ""

    def __missing__(self, key: Any) -> Any:
        raise _missing(self._source, f"{self._path}.{key}" if self._path else str(key))


class AnswerList(list):
    """A list read from an AWS answer: an item it lacks is a :class:`MalformedAnswer`."""

    __slots__ = ("_source", "_path")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._source: _Source | None = None
        self._path = ""

    def __getitem__(self, index: Any) -> Any:
        try:
            return super().__getitem__(index)
        except IndexError:
            raise _missing(self._source, f"{self._path}[{index}]") from None


def _missing(source: _Source | None, path: str) -> MalformedAnswer:
    if source is None:  # a copy made outside the session (dataclasses.asdict...)
        return MalformedAnswer(f"An AWS answer has no {path}: {NOT_AWS}.")
    return MalformedAnswer(f"The endpoint {source.endpoint} answered {source.action} without {path}: {NOT_AWS}.")


def answer_of(value: Any, endpoint: str, action: str) -> Any:
    """``value`` (botocore's parsed answer) with every dict an :class:`Answer` and every list an
    :class:`AnswerList`, each knowing the endpoint, the call and where in the answer it sits."""
    return _wrap(value, _Source(endpoint, action), "")


def _wrap(value: Any, source: _Source, path: str) -> Any:
    if isinstance(value, dict):
        wrapped: Any = Answer((k, _wrap(v, source, f"{path}.{k}" if path else str(k))) for k, v in value.items())
    elif isinstance(value, list):
        wrapped = AnswerList(_wrap(v, source, f"{path}[{i}]") for i, v in enumerate(value))
    else:
        return value
    wrapped._source, wrapped._path = source, path
    return wrapped
