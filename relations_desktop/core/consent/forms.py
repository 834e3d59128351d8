"""Consent form templates: the documented JSON format, read strictly.

A template is a JSON object (see ``docs/consent-forms.md``)::

    {"format": "relations-consent-form/1", "slug": "adult-participant",
     "title": "...", "version": "2.1", "date": "2025-03-01",
     "ethics_reference": "...", "audience": "adult",
     "items": [{"id": "audio", "statement": "...", "required": false,
                "governs": "audio-recording"}, ...]}

Everything from outside is checked here, with a message that says what is wrong and
where, before anything is stored.
"""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from relations_desktop.core.errors import InvalidInput

FORMAT = "relations-consent-form/1"
MAX_TEMPLATE_BYTES = 256 * 1024
MAX_ITEMS = 100
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,59}$")
AUDIENCES = ("adult", "parent", "child")


class Governs(enum.StrEnum):
    """What an item's answer decides."""

    AUDIO_RECORDING = "audio-recording"
    ANONYMISED_QUOTES = "anonymised-quotes"
    ARCHIVING = "archiving"
    FUTURE_CONTACT = "future-contact"
    OBSERVATION_OF_CHILDREN = "observation-of-children"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").capitalize()


@dataclass(frozen=True)
class FormItem:
    id: str
    statement: str
    required: bool
    governs: str | None  # a Governs value, or None for an item that governs nothing


@dataclass(frozen=True)
class FormTemplate:
    slug: str
    title: str
    version: str
    form_date: date | None
    ethics_reference: str
    audience: str
    items: tuple[FormItem, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "slug": self.slug,
            "title": self.title,
            "version": self.version,
            "date": self.form_date.isoformat() if self.form_date else None,
            "ethics_reference": self.ethics_reference,
            "audience": self.audience,
            "items": [
                {
                    "id": item.id,
                    "statement": item.statement,
                    "required": item.required,
                    "governs": item.governs,
                }
                for item in self.items
            ],
        }


def read_template_file(path: Path) -> FormTemplate:
    """Read and check a template file; a clear :class:`InvalidInput` if it is not one."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror or exc}.") from None
    if not path.is_file():
        raise InvalidInput(f"{path} is not a file.")
    if size > MAX_TEMPLATE_BYTES:
        raise InvalidInput(
            f"{path.name} is {size:,} bytes; a consent form template is at most "
            f"{MAX_TEMPLATE_BYTES // 1024} KiB."
        )
    return parse_template(path.read_bytes(), source=path.name)


def parse_template(raw: bytes | str, *, source: str = "the template") -> FormTemplate:
    if isinstance(raw, bytes):
        if len(raw) > MAX_TEMPLATE_BYTES:
            raise InvalidInput(f"{source} is too large for a consent form template.")
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput(f"{source} is not UTF-8 text.") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{source} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from None
    except RecursionError:
        raise InvalidInput(f"{source} is nested too deeply to be a consent form.") from None
    except ValueError as exc:  # e.g. an integer longer than Python will convert
        raise InvalidInput(f"{source} is not JSON this app can read ({exc}).") from None
    return template_from_json(data, source=source)


def template_from_json(data: Any, *, source: str = "the template") -> FormTemplate:
    if not isinstance(data, dict):
        raise InvalidInput(f"{source} must be a JSON object with a title, version and items.")
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise InvalidInput(f"{source}: unknown format {fmt!r}; expected {FORMAT!r}.")
    title = _text(data, "title", source, 300)
    version = _text(data, "version", source, 40)
    slug = data.get("slug") or _slugify(title)
    if not isinstance(slug, str) or not _ID.match(slug):
        raise InvalidInput(
            f"{source}: slug {slug!r} must be lower-case letters, digits and hyphens."
        )
    form_date = _date(data.get("date"), source)
    ethics = data.get("ethics_reference", "")
    if not isinstance(ethics, str) or len(ethics) > 200:
        raise InvalidInput(f"{source}: ethics_reference must be text (at most 200 characters).")
    audience = data.get("audience", "adult")
    if audience not in AUDIENCES:
        raise InvalidInput(
            f"{source}: audience {audience!r} must be one of: {', '.join(AUDIENCES)}."
        )
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise InvalidInput(f"{source} has no items: a form needs at least one statement.")
    if len(raw_items) > MAX_ITEMS:
        raise InvalidInput(f"{source} has {len(raw_items)} items; at most {MAX_ITEMS}.")
    items: list[FormItem] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_items, start=1):
        item = _item(raw, f"{source}, item {number}")
        if item.id in seen:
            raise InvalidInput(f"{source}, item {number}: the id {item.id!r} is used twice.")
        seen.add(item.id)
        items.append(item)
    unknown = set(data) - {
        "format", "slug", "title", "version", "date", "ethics_reference", "audience", "items"
    }  # fmt: skip
    if unknown:
        raise InvalidInput(f"{source}: unknown field(s) {', '.join(sorted(unknown))}.")
    return FormTemplate(
        slug=slug,
        title=title,
        version=version,
        form_date=form_date,
        ethics_reference=ethics.strip(),
        audience=audience,
        items=tuple(items),
    )


def _item(raw: Any, where: str) -> FormItem:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where} must be an object with an id and a statement.")
    unknown = set(raw) - {"id", "statement", "required", "governs"}
    if unknown:
        raise InvalidInput(f"{where}: unknown field(s) {', '.join(sorted(unknown))}.")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not _ID.match(item_id):
        raise InvalidInput(
            f"{where}: id {item_id!r} must be lower-case letters, digits and hyphens."
        )
    statement = _text(raw, "statement", where, 2000)
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise InvalidInput(f"{where}: required must be true or false.")
    governs = raw.get("governs")
    if governs is not None:
        valid = [g.value for g in Governs]
        if governs not in valid:
            raise InvalidInput(
                f"{where}: governs {governs!r} must be one of: {', '.join(valid)} (or null)."
            )
    return FormItem(id=item_id, statement=statement, required=required, governs=governs)


def _text(data: dict[str, Any], key: str, where: str, limit: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{where}: {key} is missing or empty.")
    if len(value) > limit:
        raise InvalidInput(f"{where}: {key} is longer than {limit} characters.")
    return value.strip()


def _date(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{where}: date {value!r} is not a date (YYYY-MM-DD).") from None


def _slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]
    return slug or "form"
