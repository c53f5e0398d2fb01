"""YAML read straight from the parser's events gives what the constructor gives: the same values,
container types, line of every key and item and count of values, and the same refusals with
the same message and line (a document the quick reading does not take is read the usual way)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REAL, ROOT
from wizard.cfn import yamlsource
from wizard.cfn.yamlsource import LineDict, LineList, parse_yaml
from wizard.errors import InputError, TemplateError

#: Every YAML and JSON file of the repository that a reader of YAML may be given.
FILES = sorted(p for folder in ("assets", "profiles", "examples", "benchmarks", "tests/data")
               for pattern in ("*.yaml", "*.yml", "*.json") for p in (ROOT / folder).rglob(pattern))
VENDOR = [REAL, REAL.with_name("stable-iam.yaml"), REAL.with_name("stable-app.yaml")]


def same_lines(a, b, where="/"):
    """Equal values, with the same container types, key order and line of every key and item."""
    assert type(a) is type(b), where
    if isinstance(a, LineDict):
        assert (a.line, list(a.key_lines.items())) == (b.line, list(b.key_lines.items())), where
        assert list(a) == list(b), where
        for key in a:
            same_lines(a[key], b[key], f"{where}{key}/")
    elif isinstance(a, list):
        if isinstance(a, LineList):
            assert (a.line, a.item_lines) == (b.line, b.item_lines), where
        assert len(a) == len(b), where
        for index, (x, y) in enumerate(zip(a, b)):
            same_lines(x, y, f"{where}{index}/")
    elif isinstance(a, float) and a != a:
        assert b != b, where  # NaN
    else:
        assert a == b, where


def constructed(text: str, error: type[InputError] = InputError):
    """What PyYAML's constructor (with this module's constructors) builds from ``text``."""
    loader = yamlsource._loader()(text, "f.yaml", error)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def quickly(text: str):
    """(the document, its count of values) read from the events, or None when handed over (or
    not valid: the parser's own error, which the usual reading words)."""
    import yaml

    loader = yamlsource._loader()(text, "f.yaml", InputError)
    try:
        return yamlsource._read_quickly(loader)
    except (yamlsource._Unusual, yaml.YAMLError, InputError):
        return None
    finally:
        loader.dispose()


def outcome(text: str, error: type[InputError] = InputError, **options):
    """The value parse_yaml gives, or the refusal (type, message, file, line)."""
    try:
        return "read", parse_yaml(text, "f.yaml", error, **options)
    except InputError as exc:
        return "refused", (type(exc), exc.message, exc.file, exc.line)


def the_usual_way(monkeypatch, text: str, error: type[InputError] = InputError, **options):
    """What parse_yaml gave before it read from the events: every document handed over."""
    def hand_over(loader):
        raise yamlsource._Unusual

    with monkeypatch.context() as patch:
        patch.setattr(yamlsource, "_read_quickly", hand_over)
        return outcome(text, error, **options)


@pytest.mark.parametrize("path", VENDOR, ids=lambda p: p.name)
def test_the_vendor_templates_are_read_quickly_and_the_same(path):
    if not path.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    text = path.read_text(encoding="utf-8")
    read = quickly(text)
    assert read is not None, "the vendor's template should not need the constructor"
    data, count = read
    same_lines(constructed(text, TemplateError), data)
    assert count == yamlsource._count_nodes(data, 10**9)
    assert data["Resources"].key_lines and data.line == 1


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_file_of_the_repository_reads_the_same(path, monkeypatch):
    text = path.read_text(encoding="utf-8", errors="surrogateescape")
    expected = the_usual_way(monkeypatch, text)
    got = outcome(text)
    if expected[0] == "read":
        assert got[0] == "read"
        same_lines(expected[1], got[1])
        read = quickly(text)
        if read is not None and read[1] is not None:  # None: aliases, counted through by parse_yaml
            assert read[1] == yamlsource._count_nodes(read[0], 10**9)
    else:
        assert got == expected


def test_most_of_the_repositorys_files_are_read_quickly():
    texts = [p.read_text(encoding="utf-8") for p in FILES if p.suffix in (".yaml", ".yml")]
    assert sum(quickly(t) is not None for t in texts) >= 0.9 * len(texts)


DOCUMENTS = {
    # plain scalars of every implicit type, quoted ones, block scalars
    "scalars": "a: yes\nb: No\nc: on\nd: ~\ne: null\nf:\ng: 0x1F\nh: 0o17\ni: 1_000\nj: 1:30\n"
               "k: .5\nl: 1e3\nm: .inf\nn: -.Inf\no: .nan\np: [.nan, .nan]\nq: 2010-09-09\n"
               "r: 2001-12-14t21:59:43.10-05:00\ns: '5'\nt: \"true\"\nu: |\n  text\n  more\nv: >-\n  folded\n"
               "w: 010\nx: +12\ny: '2010-09-09'\n",
    "a standard tag": "a: !!str 5\nb: !!int '7'\n",
    "keys of every plain type": "5: a\ntrue: b\n~: c\n1.5: d\n'7': e\n",
    "short forms": "A: !Ref X\nB: !Sub 'a-${X}'\nC: !GetAtt R.Arn\nD: !GetAtt DB.Endpoint.Address\n"
                   "E: !If [c, !Ref X, !Ref 'AWS::NoValue']\nF: !Join ['', [a, !Ref X]]\n"
                   "G: !Sub\n  - '${A}'\n  - {A: !GetAtt [R, Arn]}\nH: !Equals [!Ref X, '']\n"
                   "I: !Base64 {Fn::Sub: x}\nJ: !Ref\nK: !Not [!Condition C]\nL: !Ref 5\n",
    "flow and block": "R:\n  - a\n  - [b, {c: d, e: [f, g]}]\n  -\n    - h\n  - {}\n  - []\n",
    "the tags' long spelling": "A: !<!Ref> X\n",
    "a document marker": "---\nA: 1\n...\n",
    "a comment only": "# nothing\n",
    "an empty document": "---\n",
    "a scalar document": "just text\n",
    "a list document": "- a\n- b\n",
    "a JSON document": '{"A": [1, 2.5, true, null, "x"], "B": {"C": "D"}}',
    "anchors and aliases": "a: &x [1, 2]\nb: *x\nc: &y s\nd: *y\n",
    "aliases in a list and as a key": "a: &k key\nb: &m {c: 1}\nl:\n  - *m\n  - *k\n  -\n    *m\n*k : v\n",
    "an anchored short form": "a: &s !Sub\n  - x\n  - {}\nb: [*s, *s]\nc: &t !Ref X\nd: *t\n",
    "an anchored root": "&r\na: 1\n",
    "nested anchors": "a: &o\n  b: &i [1, &j 2]\nc: [*i, *j, *o]\n",
    # handed over to the constructor (same result)
    "a merge key": "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n",
    "a quoted merge key": "'<<': 1\n",
    "a value key": "=: 1\n",
    "another tag on a mapping": "a: !!map {b: 1}\n",
    "a TAG directive": "%TAG ! tag:example.com,2000:\n---\na: !Ref x\n",
    "a duplicate NaN key": ".nan: 1\n.nan: 2\n",
    "deep nesting": "a: " + "[" * 300 + "]" * 300 + "\n",
    "lists nested 150 deep": "a: " + "[" * 150 + "]" * 150 + "\n",
    "short forms nested 130 deep": "a: " + "!If [" * 130 + "]" * 130 + "\n",
    "mappings nested just past the quick depth": "a: " + "{a: " * 64 + "1" + "}" * 64 + "\n",
    # refused: the same message and line
    "a duplicate key": "Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n",
    "an equal key of another type": "1: a\ntrue: b\n",
    "an unknown tag": "Resources:\n  A:\n    V: !Bogus x\n",
    "an unknown tag on a list": "A: !Bogus [x]\n",
    "a GetAtt without a dot": "A:\n  B: !GetAtt NoDot\n",
    "a GetAtt with nothing after the dot": "A: !GetAtt R.\n",
    "a list as a key": "? [a]\n: b\n",
    "a mapping as a key": "{a: 1}: b\n",
    "a short form as a key": "!Ref a: b\n",
    "a date as a key": "2010-09-09: a\n",
    "a value that is a value key": "a: =\n",
    "an unclosed list": "Resources: [unclosed",
    "a bad indentation": "a:\n  b: 1\n c: 2\n",
    "a tab": "a:\n\tb: 1\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "an undefined alias": "a: *nowhere\n",
    "a recursive alias": "a: &x [*x]\n",
    "a duplicate anchor": "a: &x 1\nb: &x 2\n",
    "a duplicate anchor on a list": "a: &x [1]\nb: &x [2]\n",
    "a duplicate anchor inside its node": "a: &x [&x 1]\n",
    "an alias to a mapping as a key": "a: &m {b: 1}\n? *m\n: c\n",
    "an alias to a key named before": "a: &k x\n*k : y\nx: z\n",
    "a recursive alias in a mapping": "a: &x {b: *x}\n",
    "a NUL byte": "a: 1\nb: \x00\n",
    "a number of 4,301 digits": "a: " + "1" * 4301 + "\n",
    "a Python tag": "a: !!python/object:os.system x\n",
    "a duplicate key after an error later on": "a: 1\na: 2\nb: [\n",
    "an unknown tag before a bad indentation": "a: !Bogus x\nb:\n  c: 1\n d: 2\n",
    "a duplicate key in a short form's mapping": "A: !Sub\n  - x\n  - {a: 1, a: 2}\n",
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
@pytest.mark.parametrize("error", [InputError, TemplateError])
def test_every_kind_of_document_reads_or_is_refused_the_same(name, error, monkeypatch):
    text = DOCUMENTS[name]
    expected = the_usual_way(monkeypatch, text, error)
    got = outcome(text, error)
    assert got[0] == expected[0], got
    if got[0] == "read":
        same_lines(expected[1], got[1])
    else:
        assert got == expected


@pytest.mark.parametrize("text", ["5: a\n", "~: a\n", "yes: a\n", "a: {1.5: b}\n"])
def test_a_key_that_is_not_text_is_refused_the_same_when_keys_must_be_text(text, monkeypatch):
    expected = the_usual_way(monkeypatch, text, string_keys=True)
    assert expected[0] == "refused"
    assert outcome(text, string_keys=True) == expected


def test_the_quick_reading_keeps_what_the_constructor_keeps():
    data, count = quickly(DOCUMENTS["short forms"])
    assert data["C"] == {"Fn::GetAtt": ["R", "Arn"]} and data["D"] == {"Fn::GetAtt": ["DB", "Endpoint.Address"]}
    assert data["G"] == {"Fn::Sub": ["${A}", {"A": {"Fn::GetAtt": ["R", "Arn"]}}]}
    assert data["G"].line == data["G"]["Fn::Sub"].line == 7 and data["G"]["Fn::Sub"].item_lines == [8, 9]
    assert data["L"] == {"Ref": "5"} and data["J"] == {"Ref": ""}
    scalars, _ = quickly(DOCUMENTS["scalars"])
    assert [scalars[k] for k in "abcdefghijw"] == [True, False, True, None, None, None, 31, "0o17", 1000, 90, 8]
    assert str(scalars["q"]) == "2010-09-09" and scalars["s"] == "5" and scalars["t"] == "true"
    assert scalars["p"][0] is scalars["p"][1] is constructed("[.nan]")[0]  # one NaN, as the constructor's
    assert count == yamlsource._count_nodes(data, 10**9)


@pytest.mark.parametrize("name", ["a merge key", "a TAG directive", "deep nesting", "lists nested 150 deep",
                                  "a duplicate key", "an unknown tag", "a GetAtt without a dot", "two documents",
                                  "a list as a key", "a date as a key", "an unclosed list"])
def test_what_the_quick_reading_does_not_take_is_handed_over(name):
    assert quickly(DOCUMENTS[name]) is None


def test_an_alias_is_its_anchors_very_value_at_its_anchors_line():
    data, count = quickly(DOCUMENTS["aliases in a list and as a key"])
    assert count is None
    assert data["l"][0] is data["b"] and data["l"].item_lines == [2, 1, 2]
    assert data["key"] == "v" and data.key_lines["key"] == 1
    data, _ = quickly(DOCUMENTS["an anchored short form"])
    assert data["b"][0] is data["b"][1] is data["a"] and data["b"].item_lines == [1, 1]
    assert data["d"] is data["c"] == {"Ref": "X"}
    assert quickly(DOCUMENTS["a recursive alias in a mapping"]) is None
    assert quickly(DOCUMENTS["a duplicate anchor inside its node"]) is None


def test_a_yaml_bomb_is_still_refused(monkeypatch):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join(['*a%d' % (i - 1)] * 10)}]" for i in range(1, 8)]
    text = "\n".join(lines)
    assert outcome(text)[0] == "refused" and "YAML bomb" in outcome(text)[1][1]
    assert outcome(text) == the_usual_way(monkeypatch, text)



_KEYS = ["a{}", "B{}", "Ref{}", "'q{}'", '"d{}"', "yes", "~", "5{}", "1.5{}", "Type{}", "Statement{}"]
_VALUES = ["a", "Ref", "'q'", '"d"', "yes", "No", "~", "", "0x1F", "1_000", "1:30", ".nan", "-.inf", "1.5",
           "2010-09-09", "!Ref X", "!GetAtt R.Arn", "!Sub 'a-${X}'", "'${AWS::Region}'",
           "[]", "{}", "[a, !Ref b]", "{a: 1, b: [2]}", "!Join ['', [a, !Ref b]]"]
_ODD_KEYS = ["<<", "=", "2010-09-09", "!Ref k", "[k]", "&k a"]
_ODD_VALUES = ["=", "!GetAtt R", "!Bogus x", "!!str 5", "&n v", "*n", "12" * 2200, "[a, b", "{a: 1, a: 2}"]


def _word(draw, usual, odd):
    return draw(st.sampled_from(odd if draw(st.integers(0, 30)) == 0 else usual))


@st.composite
def documents(draw):
    """A YAML text close to a template's, with unusual and wrong parts mixed in, and maybe damaged."""
    lines, depth = [], 0
    for number in range(draw(st.integers(1, 14))):
        indent = "  " * depth
        key = _word(draw, _KEYS, _ODD_KEYS).format(number)
        shape = draw(st.sampled_from(["value", "value", "map", "list", "tagged list"]))
        if shape == "value":
            lines.append(f"{indent}{key}: {_word(draw, _VALUES, _ODD_VALUES)}")
        elif shape == "map":
            lines.append(f"{indent}{key}:")
            depth += 1
            lines.append(f"{'  ' * depth}{_word(draw, _KEYS, _ODD_KEYS).format('')}: {_word(draw, _VALUES, _ODD_VALUES)}")
        else:
            tag = " !If" if shape == "tagged list" else ""
            lines.append(f"{indent}{key}:{tag}")
            lines.extend(f"{indent}  - {_word(draw, _VALUES, _ODD_VALUES)}" for _ in range(draw(st.integers(1, 3))))
        depth = draw(st.integers(0, depth))
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 3)) == 0:  # damage: one character dropped or doubled
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + (text[at] * 2 if draw(st.booleans()) else "") + text[at + 1:]
    return text


@given(documents())
@settings(max_examples=300, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_random_documents_read_or_are_refused_the_same(text):
    def hand_over(loader):
        raise yamlsource._Unusual

    got = outcome(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yamlsource, "_read_quickly", hand_over)
        expected = outcome(text)
    assert got[0] == expected[0], (text, got, expected)
    if got[0] == "read":
        same_lines(expected[1], got[1])
    else:
        assert got == expected, text


def test_the_vendor_template_damaged_here_and_there_reads_or_is_refused_the_same(monkeypatch):
    """A character dropped, doubled or put in, a line repeated or indented, at random (fixed seed)."""
    import random

    if not REAL.is_file():
        pytest.skip("the real Quilt template fixture (../shared/fixtures/quilt-real) is absent")
    original = REAL.read_text(encoding="utf-8")
    chance = random.Random(30)
    for _ in range(40):
        text, lines = original, original.split("\n")
        at, line = chance.randrange(len(original)), chance.randrange(len(lines))
        change = chance.randrange(5)
        if change == 0:
            text = text[:at] + text[at + 1:]
        elif change == 1:
            text = text[:at] + text[at] + text[at:]
        elif change == 2:
            text = text[:at] + chance.choice([" ", "\t", ":", "- ", "&a ", "*a", "!", "'", "[", "{", "<<: ", "? "]) + text[at:]
        elif change == 3:
            text = "\n".join(lines[:line] + [lines[chance.randrange(len(lines))]] + lines[line:])
        else:
            text = "\n".join(lines[:line] + [" " + lines[line]] + lines[line + 1:])
        expected = the_usual_way(monkeypatch, text, TemplateError)
        got = outcome(text, TemplateError)
        assert got[0] == expected[0], (got, expected)
        if got[0] == "read":
            same_lines(expected[1], got[1])
        else:
            assert got == expected
