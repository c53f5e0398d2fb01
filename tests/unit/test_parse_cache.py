"""The disk cache of parsed templates gives back the same template, lines included, and never
a stale or corrupt one."""

from __future__ import annotations

import os
import pickle

import pytest

from wizard import paths
from wizard.cfn import parsecache
from wizard.cfn.template import parse_template
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


@pytest.mark.parametrize("garbage", [b"", b"not a pickle at all",
                                     pickle.dumps(os.system), pickle.dumps(["a list"])])
def test_a_corrupt_or_foreign_entry_is_ignored_and_rewritten(garbage):
    expected = parse_template(EMBEDDED).body
    [entry] = entries()
    key = entry.read_bytes()[:32]
    for data in (garbage, key + garbage, entry.read_bytes()[:len(entry.read_bytes()) // 2]):
        entry.write_bytes(data)
        assert parsecache.load(EMBEDDED) is None
        same_lines(expected, parse_template(EMBEDDED).body)
        assert parsecache.load(EMBEDDED) is not None  # rewritten whole


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
    """The containers are reduced as ``object.__reduce_ex__`` does: the same bytes, read back alike."""
    for text in (EMBEDDED, real_template_path.read_text(encoding="utf-8")):
        body = parse_template(text).body
        path, key = parsecache._entry(text)
        assert path.read_bytes() == key + pickle.dumps(body, protocol=pickle.HIGHEST_PROTOCOL)
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
