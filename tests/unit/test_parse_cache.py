"""The disk cache of parsed templates gives back the same template, lines included, and never
a stale or corrupt one."""

from __future__ import annotations

import os
import pickle

import pytest

from wizard import paths
from wizard.cfn import parsecache
from wizard.cfn.intrinsics import dynamic_containers
from wizard.cfn.template import parse_template
from wizard.cfn.transform import mentions_transform
from wizard.cfn.yamlsource import LineDict, LineList
from wizard.errors import TemplateError

EMBEDDED = paths.DEFAULT_TEMPLATE.read_text(encoding="utf-8")


def entries():
    folder = paths.user_dir("cache") / "templates"
    return sorted(folder.glob("*.pickle")) if folder.is_dir() else []


def same_lines(a, b, where="/"):
    """Equal values, with the same container types and the same line of every key and item."""
    assert type(a) is type(b), where
    if isinstance(a, LineDict):
        assert (a.line, a.key_lines) == (b.line, b.key_lines), where
        assert list(a) == list(b), where
        for key in a:
            same_lines(a[key], b[key], f"{where}{key}/")
    elif isinstance(a, LineList):
        assert (a.line, a.item_lines, len(a)) == (b.line, b.item_lines, len(b)), where
        for index, (x, y) in enumerate(zip(a, b)):
            same_lines(x, y, f"{where}{index}/")
    else:
        assert a == b, where


def test_a_cached_template_is_the_same_template_with_the_same_lines():
    first = parse_template(EMBEDDED, "quilt.yaml")
    assert len(entries()) == 1
    assert parsecache.load(EMBEDDED) is not None
    second = parse_template(EMBEDDED, "quilt.yaml")
    assert second.body is not first.body
    same_lines(first.body, second.body)
    assert second.line_of("Resources", "RegistryRole") == first.line_of("Resources", "RegistryRole") is not None
    assert (second.source, second.text, second.format) == (first.source, first.text, first.format)


def test_the_real_template_reads_back_the_same(real_template_path):
    text = real_template_path.read_text()
    first = parse_template(text, str(real_template_path))
    same_lines(first.body, parse_template(text, str(real_template_path)).body)


def test_changed_text_is_a_new_entry_never_the_old_body():
    parse_template(EMBEDDED)
    changed = EMBEDDED.replace("Resources:", "Resources:\n  Extra:\n    Type: AWS::SNS::Topic", 1)
    template = parse_template(changed)
    assert "Extra" in template.resources and len(entries()) == 2
    assert "Extra" not in parse_template(EMBEDDED).resources


#: Entries of another shape: a bare body (what the first format held), and tuples that are not a
#: body with the list of its containers that hold an intrinsic function.
OTHER_SHAPES = [pickle.dumps(LineDict(Resources=LineDict())), pickle.dumps((LineDict(), "a text")),
                pickle.dumps(("a text", None)), pickle.dumps((LineDict(), [], None)),
                pickle.dumps([LineDict(), []]), pickle.dumps((LineDict(), ()))]


@pytest.mark.parametrize("garbage", [b"", b"not a pickle at all", pickle.dumps(os.system), pickle.dumps(["a list"]),
                                     *OTHER_SHAPES])
def test_a_corrupt_or_foreign_entry_is_ignored_and_rewritten(garbage):
    expected = parse_template(EMBEDDED).body
    [entry] = entries()
    key = entry.read_bytes()[:32]
    for data in (garbage, key + garbage, entry.read_bytes()[:len(entry.read_bytes()) // 2]):
        entry.write_bytes(data)
        assert parsecache.load(EMBEDDED) is None
        same_lines(expected, parse_template(EMBEDDED).body)
        assert parsecache.load(EMBEDDED) is not None  # rewritten whole


def test_an_entry_of_the_previous_format_is_never_read(monkeypatch):
    """The format line is part of every key: an entry the previous format wrote (a bare body)
    is not even opened, and the template is parsed and kept again in the new shape."""
    with monkeypatch.context() as previous:
        previous.setattr(parsecache, "_FORMAT", b"quilt-wizard parsed template 1\n")
        parsecache._reader_digest.cache_clear()
        body = parse_template(EMBEDDED).body
        [old] = entries()
        old.write_bytes(parsecache._entry(EMBEDDED)[1] + pickle.dumps(body, protocol=pickle.HIGHEST_PROTOCOL))
    parsecache._reader_digest.cache_clear()
    assert parsecache._entry(EMBEDDED)[0] != old and parsecache.load(EMBEDDED) is None
    same_lines(body, parse_template(EMBEDDED).body)
    assert len(entries()) == 2
    kept = parsecache.load(EMBEDDED)
    assert kept.dynamic is not None and kept.dynamic == _ids(kept.body)


def test_an_entry_that_would_run_code_is_refused():
    parse_template(EMBEDDED)
    [entry] = entries()
    entry.write_bytes(entry.read_bytes()[:32] + pickle.dumps(os.system))
    with pytest.raises(pickle.UnpicklingError, match="not part of a parsed template"):
        parsecache._BodyUnpickler(__import__("io").BytesIO(entry.read_bytes()[32:])).load()


def test_an_unwritable_cache_only_costs_speed(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(paths.HOME_ENV, str(blocker))  # the cache folder cannot be made
    assert "RegistryRole" in parse_template(EMBEDDED).resources


def test_a_bad_template_is_still_refused_and_not_cached():
    bad = EMBEDDED.replace("Resources:", "Resources:\n  Broken: {}", 1)
    with pytest.raises(TemplateError, match="a resource needs a Type"):
        parse_template(bad)
    assert entries() == []


def test_the_body_is_pickled_without_collections(monkeypatch):
    import gc

    enabled = []
    real = parsecache._pickled

    def pickled(body):
        enabled.append(gc.isenabled())
        return real(body)

    monkeypatch.setattr(parsecache, "_pickled", pickled)
    parse_template(EMBEDDED)
    assert enabled == [False] and gc.isenabled()
    assert parsecache.load(EMBEDDED) is not None


def test_an_entry_holds_what_pickle_itself_writes(real_template_path):
    """The containers are reduced as ``object.__reduce_ex__`` does: the same bytes, read back alike.
    The entry is the body with its containers that hold an intrinsic function."""
    for text in (EMBEDDED, real_template_path.read_text(encoding="utf-8")):
        body = parse_template(text).body
        path, key = parsecache._entry(text)
        entry = (body, dynamic_containers(body))
        assert path.read_bytes() == key + pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        assert parsecache._pickled(LineList([body, LineList()])) == pickle.dumps(LineList([body, LineList()]),
                                                                                 protocol=pickle.HIGHEST_PROTOCOL)


def test_a_kept_template_reads_its_body_back_when_first_asked_for(monkeypatch):
    first = parse_template(EMBEDDED, "quilt.yaml")
    read = []
    real = parsecache.load
    monkeypatch.setattr(parsecache, "load", lambda text, *a: read.append(1) or real(text, *a))
    second = parse_template(EMBEDDED, "quilt.yaml")
    assert read == [] and (second.source, second.text, second.format, second.transform) == (
        first.source, first.text, first.format, None)
    same_lines(first.body, second.body)
    assert read == [1] and second.body is second.body and read == [1]
    assert second.parameters.keys() == first.parameters.keys()


def test_a_kept_template_whose_entry_is_gone_is_read_again():
    first = parse_template(EMBEDDED, "quilt.yaml")
    second = parse_template(EMBEDDED, "quilt.yaml")
    for entry in entries():
        entry.unlink()
    same_lines(first.body, second.body)
    assert len(entries()) == 1  # read again from the text, and kept again


def test_a_kept_hardening_never_reads_the_vendors_template(real_template_path, monkeypatch, tmp_path):
    """The hardening read back stands for the vendor's template: its text alone is needed."""
    from wizard.flow.headless_plan import hardened_for
    from wizard.cfn.template import load_template

    text = real_template_path.read_text()
    copy = tmp_path / "vendor.yaml"
    copy.write_text(text)
    hardened_for(load_template(copy))  # hardens, keeps the hardening and the parsed vendor body
    copy.write_text(text)  # the same text, read anew
    read = []
    real = parsecache.load
    monkeypatch.setattr(parsecache, "load", lambda t, *a: read.append(len(t)) or real(t, *a))
    hardening = hardened_for(load_template(copy))
    assert hardening is not None and hardening.added_parameters
    assert len(text) not in read


def test_a_shipped_file_is_parsed_once_then_read_back(monkeypatch):
    from wizard.cfn import yamlsource

    text = "types:\n  a: {pattern: x}\n"
    first = parsecache.read_shipped(text, "asset.yaml")
    real = yamlsource.parse_yaml
    monkeypatch.setattr(yamlsource, "parse_yaml", lambda *a, **k: (_ for _ in ()).throw(AssertionError("parsed")))
    second = parsecache.read_shipped(text, "asset.yaml")
    same_lines(first, second)
    monkeypatch.setattr(yamlsource, "parse_yaml", real)
    assert parsecache.read_shipped("- a list\n", "list.yaml") == ["a list"]
    assert parsecache.load("- a list\n", min_chars=0) is None  # only a mapping is kept


# The containers that hold an intrinsic function, kept with the body --------------------------

def _large(text: str) -> str:
    """``text`` made long enough to be kept (a comment, which the body does not hold)."""
    return f"{text}\n# {'x' * parsecache.MIN_CHARS}\n"


#: Small templates with intrinsics at various depths, each with the values it is evaluated for.
CRAFTED = {
    "if-at-every-depth": ("""
Parameters:
  Mode: {Type: String, Default: a, AllowedValues: [a, b]}
Conditions:
  IsA: !Equals [!Ref Mode, a]
  IsB: !Not [{Condition: IsA}]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-data"
      Tags:
        - {Key: plain, Value: text}
        - !If [IsA, {Key: mode, Value: !Ref Mode}, !Ref AWS::NoValue]
      LifecycleConfiguration:
        Rules:
          - Id: one
            Status: Enabled
            Transitions:
              - StorageClass: GLACIER
                TransitionInDays: !If [IsA, 30, !If [IsB, 1, !Ref AWS::NoValue]]
          - Id: two
            Status: Enabled
            ExpirationInDays: 365
  Topic:
    Type: AWS::SNS::Topic
    Condition: IsB
    Properties:
      TopicName: !If [IsA, !Ref AWS::NoValue, named]
  Queue:
    Type: AWS::SQS::Queue
    Properties: !If [IsA, {QueueName: !Sub "${Mode}-q", DelaySeconds: 5}, {QueueName: plain}]
Outputs:
  Name: {Value: !GetAtt Queue.Arn}
""", {"Mode": "a"}),
    "lists-of-lists": ("""
Parameters:
  Names: {Type: CommaDelimitedList, Default: 'a,b,c'}
Mappings:
  Sizes:
    us-east-1: {Count: '3'}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: [lambda.amazonaws.com]}
            Action: [sts:AssumeRole]
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [s3:GetObject]
                Resource:
                  - !Join ['', ['arn:aws:s3:::', !Select [1, !Ref Names], /*]]
                  - !Sub
                    - arn:aws:s3:::${Name}
                    - Name: !FindInMap [Sizes, !Ref AWS::Region, Count]
      Tags:
        - {Key: Ref, Value: not an intrinsic, Other: key}
    Metadata:
      Nested: [[plain, [deeper, list]], [[[!Ref AWS::Region]]], [], {Ref: Names, Other: key}]
""", {}),
    "one-part-shared-twice": ("""
Resources:
  One:
    Type: AWS::SQS::Queue
    Properties: &props
      QueueName: !Sub "${AWS::StackName}-q"
      Tags: [{Key: a, Value: b}]
  Two:
    Type: AWS::SQS::Queue
    Properties: *props
  Three:
    Type: AWS::SQS::Queue
    Properties: {Tags: &tags [{Key: a, Value: b}]}
  Four:
    Type: AWS::SQS::Queue
    Properties: {Tags: *tags}
""", {}),
    "no-intrinsic-at-all": ("""
Resources:
  Plain: {Type: AWS::SNS::Topic, Properties: {TopicName: plain, Tags: [{Key: a, Value: b}]}}
""", {}),
}

#: Every vendor file with the values it is evaluated for, and the vendor's template hardened.
VENDOR = ["stable.yaml", "stable-iam.yaml", "stable-app.yaml", "stable.yaml, hardened"]


def _case(name: str) -> tuple[str, str, dict]:
    """(text, source, values) of a template the tests read."""
    if name in CRAFTED:
        text, values = CRAFTED[name]
        return _large(text), f"{name}.yaml", values
    if name == "quilt.yaml":
        from tests.functional.helpers import EMBEDDED_REQUIRED

        return EMBEDDED, name, EMBEDDED_REQUIRED
    from tests.conftest import REAL

    if not REAL.is_file():
        pytest.skip("the real Quilt template fixture is absent")
    from tests.unit.overlay.conftest import VENDOR_FILES

    file = name.split(",")[0]
    path = REAL.with_name(file)
    if name.endswith("hardened"):
        from wizard.cfn.template import load_template
        from wizard.overlay import harden

        return harden(load_template(path)).template.text, f"{file} (hardened)", VENDOR_FILES[file]
    text = path.read_text(encoding="utf-8")
    return text if len(text) >= parsecache.MIN_CHARS else _large(text), file, VENDOR_FILES[file]


def _walks(monkeypatch) -> list:
    """The bodies the walk for intrinsics is done on, from now on."""
    from wizard.cfn import template as template_module

    walked = []
    monkeypatch.setattr(template_module, "dynamic_containers",
                        lambda body, *limit: walked.append(body) or dynamic_containers(body, *limit))
    return walked


def _ids(body) -> frozenset[int]:
    return frozenset(map(id, dynamic_containers(body)))


@pytest.mark.parametrize("name", [*CRAFTED, "quilt.yaml", *VENDOR])
def test_the_containers_read_back_are_those_the_walk_finds_and_evaluate_alike(name, monkeypatch):
    from wizard.cfn.evaluate import Evaluation
    from wizard.cfn.parameters import resolve_parameters
    from wizard.cfn.template import Template
    from wizard.cfn.yamlsource import parse_yaml

    text, source, values = _case(name)
    assert len(text) >= parsecache.MIN_CHARS and not mentions_transform(text)
    parse_template(text, source)  # kept, with its containers that hold an intrinsic
    built = Template(source=source, text=text, body=parse_yaml(text, source, TemplateError))  # no cache
    expected = Evaluation(built, resolve_parameters(built, values)).resources()
    entry = parsecache.load(text)
    assert entry.dynamic is not None and entry.dynamic == _ids(entry.body)  # read back, and walked here
    assert (entry.dynamic == frozenset()) == (name == "no-intrinsic-at-all")
    kept = parse_template(text, source)
    walked = _walks(monkeypatch)
    read_back = kept.dynamic
    assert walked == []  # read back with the body, not walked
    evaluated = Evaluation(kept, resolve_parameters(kept, values)).resources()
    assert walked == []  # nor by the evaluation
    assert read_back == _ids(kept.body)
    assert evaluated == expected and evaluated


def test_a_part_shared_by_two_resources_is_one_container_read_back():
    from wizard.cfn.evaluate import Evaluation
    from wizard.cfn.parameters import resolve_parameters
    from wizard.cfn.pseudo import Pseudo

    text, source, values = _case("one-part-shared-twice")
    parse_template(text, source)
    kept = parse_template(text, source)
    resources = kept.resources
    assert resources["One"]["Properties"] is resources["Two"]["Properties"]  # identity kept
    assert id(resources["Two"]["Properties"]) in kept.dynamic
    assert resources["Three"]["Properties"]["Tags"] is resources["Four"]["Properties"]["Tags"]
    assert id(resources["Four"]["Properties"]["Tags"]) not in kept.dynamic
    evaluated = Evaluation(kept, resolve_parameters(kept, values)).resources()
    assert evaluated["One"]["Properties"] == evaluated["Two"]["Properties"] == {
        "QueueName": f"{Pseudo().stack_name}-q",
        "Tags": [{"Key": "a", "Value": "b"}]}


def test_a_first_run_walks_once_when_it_keeps_the_body_and_the_evaluator_not_again(monkeypatch):
    """The walk that finds the intrinsics of a body to keep also bounds its depth: one pass."""
    from wizard.cfn import template as template_module
    from wizard.cfn.evaluate import Evaluation
    from wizard.cfn.parameters import resolve_parameters

    text, source, values = _case("if-at-every-depth")
    walked = _walks(monkeypatch)
    measured = []
    monkeypatch.setattr(template_module, "_depth", lambda body: measured.append(body) or 0)
    template = parse_template(text, source)
    assert walked == [template.body] and measured == []
    for _ in range(2):
        Evaluation(template, resolve_parameters(template, values)).resources()
    assert walked == [template.body]


@pytest.mark.parametrize("how", ["small", "built in code", "unwritable cache"])
def test_a_body_not_read_back_is_walked_once_when_first_evaluated(how, monkeypatch, tmp_path):
    from wizard.cfn.evaluate import Evaluation
    from wizard.cfn.parameters import resolve_parameters
    from wizard.cfn.template import Template
    from wizard.cfn.yamlsource import parse_yaml

    text, values = CRAFTED["if-at-every-depth"]
    walked = _walks(monkeypatch)
    if how == "small":
        template = parse_template(text)
    elif how == "built in code":
        template = Template(source="t.yaml", text=text, body=parse_yaml(text, "t.yaml", TemplateError))
    else:
        blocker = tmp_path / "file"
        blocker.write_text("")
        monkeypatch.setenv(paths.HOME_ENV, str(blocker))
        template = parse_template(_large(text))
    before = list(walked)
    for _ in range(2):
        resources = Evaluation(template, resolve_parameters(template, values)).resources()
    assert resources["Bucket"]["Properties"]["Tags"] == [{"Key": "plain", "Value": "text"},
                                                          {"Key": "mode", "Value": "a"}]
    assert walked == [template.body] and entries() == []
    assert before == ([template.body] if how == "unwritable cache" else [])  # walked to keep it
    assert template.dynamic == _ids(template.body)


def test_a_body_a_transform_expands_is_walked_when_evaluated_not_when_kept(monkeypatch):
    from tests.conftest import DATA
    from wizard.cfn.evaluate import Evaluation
    from wizard.cfn.parameters import resolve_parameters

    text = _large((DATA / "sam" / "function-policies.yaml").read_text(encoding="utf-8"))
    walked = _walks(monkeypatch)
    for run in range(2):  # parsed and kept, then read back
        template = parse_template(text, "sam.yaml")
        assert template.transform and len(walked) == run
        assert parsecache.load(text).dynamic is None
        for _ in range(2):
            Evaluation(template, resolve_parameters(template, {})).resources()
        assert len(walked) == run + 1 and walked[-1] is template.body  # the expansion, once
        assert template.dynamic == _ids(template.body)


def test_a_text_asked_about_then_read_is_digested_once(monkeypatch):
    """``has`` then ``load`` of one text work its key out once; another text (even equal) or
    other readers work it out again."""
    import hashlib as real

    digested = []

    class Counting:
        @staticmethod
        def sha256(data=b""):
            digested.append(len(data))
            return real.sha256(data)

    parsecache._reader_digest()  # the readers' digest, worked out once a process
    monkeypatch.setattr(parsecache, "hashlib", Counting)
    text = EMBEDDED
    parsecache.has(text)
    parsecache.load(text)
    assert len(digested) == 1
    parsecache.load(EMBEDDED[:-1] + EMBEDDED[-1:])  # an equal text, another object: its own digest
    assert len(digested) == 2
    monkeypatch.setattr(parsecache, "_last_key", (text, b"other readers", b"key"))
    parsecache.load(text)
    assert len(digested) == 3


def test_the_size_threshold_is_read_when_asked(monkeypatch):
    """``MIN_CHARS`` set after import is the one applied (a benchmark times the parse itself so)."""
    monkeypatch.setattr(parsecache, "MIN_CHARS", len(EMBEDDED) + 1)
    assert not parsecache.keeps(EMBEDDED) and not parsecache.has(EMBEDDED)
    parse_template(EMBEDDED)
    assert parsecache.load(EMBEDDED) is None and not parsecache._entry(EMBEDDED)[0].exists()
    monkeypatch.setattr(parsecache, "MIN_CHARS", len(EMBEDDED))
    assert parsecache.keeps(EMBEDDED)
