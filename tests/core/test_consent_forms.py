"""Consent form templates: the shipped ones, the format's checks, and fuzzing."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relations_desktop.core.consent.forms import (
    FormTemplate,
    Governs,
    parse_template,
    read_template_file,
)
from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.resources import resource

GOOD = {
    "format": "relations-consent-form/1",
    "slug": "staff-interview",
    "title": "Staff interview consent",
    "version": "1.0",
    "date": "2026-02-01",
    "ethics_reference": "REC 26/ES/0002",
    "audience": "adult",
    "items": [
        {"id": "take-part", "statement": "I agree to take part.", "required": True},
        {
            "id": "audio",
            "statement": "I agree to be recorded.",
            "required": False,
            "governs": "audio-recording",
        },
    ],
}


def test_every_shipped_template_is_valid_and_governs_what_the_issue_names() -> None:
    templates = [read_template_file(p) for p in sorted(resource("consent_forms").glob("*.json"))]
    assert {t.slug for t in templates} == {"adult-participant", "parent-for-child", "child-assent"}
    adult = next(t for t in templates if t.slug == "adult-participant")
    assert {i.governs for i in adult.items} >= {g.value for g in Governs}
    assert all(t.ethics_reference and t.form_date for t in templates)


def test_a_good_template_round_trips() -> None:
    template = parse_template(json.dumps(GOOD))
    assert isinstance(template, FormTemplate)
    assert parse_template(json.dumps(template.to_json())) == template
    assert template.items[1].governs == "audio-recording"
    assert template.items[0].governs is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("items"), "has no items"),
        (lambda d: d.update(items=[]), "has no items"),
        (lambda d: d.pop("title"), "title is missing"),
        (lambda d: d.update(version=""), "version is missing"),
        (lambda d: d.update(date="1st of March"), "not a date"),
        (lambda d: d.update(audience="everyone"), "audience"),
        (lambda d: d.update(format="other/2"), "unknown format"),
        (lambda d: d.update(colour="red"), "unknown field"),
        (lambda d: d["items"][1].update(governs="photos"), "governs 'photos'"),
        (lambda d: d["items"][1].update(id="take-part"), "used twice"),
        (lambda d: d["items"][1].update(id="Audio Consent"), "lower-case"),
        (lambda d: d["items"][1].update(required="yes"), "true or false"),
        (lambda d: d["items"][1].pop("statement"), "statement is missing"),
        (lambda d: d["items"].append("agree"), "must be an object"),
    ],
)
def test_a_malformed_template_is_refused_with_what_is_wrong(change, message) -> None:
    data = json.loads(json.dumps(GOOD))
    change(data)
    with pytest.raises(InvalidInput, match=message):
        parse_template(json.dumps(data))


def test_not_json_not_utf8_and_too_big_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"not valid JSON \(line 1"):
        parse_template("{title: 'x'}")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        parse_template(b"\xff\xfe\x00garbage")
    with pytest.raises(InvalidInput, match="JSON object"):
        parse_template("[1, 2]")
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (300 * 1024) + b"{}")
    with pytest.raises(InvalidInput, match="at most 256 KiB"):
        read_template_file(big)
    with pytest.raises(InvalidInput, match="Cannot read"):
        read_template_file(tmp_path / "missing.json")
    with pytest.raises(InvalidInput, match="nested too deeply"):
        parse_template("[" * 100_000 + "]" * 100_000)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048))
def test_fuzz_bytes_either_parse_or_are_refused_cleanly(raw: bytes) -> None:
    with contextlib.suppress(InvalidInput):
        parse_template(raw)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "title": _json,
            "version": _json,
            "slug": _json,
            "date": _json,
            "audience": _json,
            "items": st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "id": _json,
                        "statement": _json,
                        "required": _json,
                        "governs": _json,
                    },
                ),
                max_size=4,
            )
            | _json,
        },
    )
)
def test_fuzz_structures_either_parse_or_are_refused_cleanly(data: dict[str, object]) -> None:
    try:
        template = parse_template(json.dumps(data))
    except InvalidInput:
        return
    assert template.items and template.title and template.version
