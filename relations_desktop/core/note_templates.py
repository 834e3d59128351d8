"""Fieldnote templates for the observation settings, shipped as Markdown in
``resources/note_templates``. The first ``# heading`` is the template's name."""

from __future__ import annotations

from dataclasses import dataclass

from relations_desktop.core.resources import resource


@dataclass(frozen=True)
class NoteTemplate:
    key: str  # file name without .md: clinic-visit, team-meeting, ...
    title: str
    body: str


def note_templates() -> list[NoteTemplate]:
    templates: list[NoteTemplate] = []
    for path in sorted(resource("note_templates").glob("*.md")):
        body = path.read_text(encoding="utf-8")
        first = body.lstrip().splitlines()[0] if body.strip() else path.stem
        title = first.lstrip("#").strip() or path.stem
        templates.append(NoteTemplate(key=path.stem, title=title, body=body))
    return templates
