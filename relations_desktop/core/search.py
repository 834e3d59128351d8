"""Full-text search (SQLite FTS5, inside the encrypted database).

User queries are never handed to FTS5 raw: each word becomes a quoted token, so
punctuation in a query cannot cause a syntax error. ``"quoted phrases"`` stay phrases,
a trailing ``*`` asks for a prefix, and ``OR`` / ``NOT`` keep their meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.records import SearchHit

HIT_START = "\x02"
HIT_END = "\x03"
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_WORD = re.compile(r"[\w']+", re.UNICODE)
MAX_LIMIT = 500
_OPERATORS = ("OR", "NOT", "AND")


@dataclass(frozen=True)
class SearchFilters:
    encounter_type: str | None = None
    participant_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    site_id: str | None = None
    kind: str | None = None  # "fieldnote" or "segment" (a transcript passage)


def to_fts_query(query: str) -> str:
    """Translate what a researcher types into a safe FTS5 MATCH expression."""
    parts: list[str] = []
    for match in _TOKEN.finditer(query):
        phrase, word = match.group(1), match.group(2)
        if phrase is not None:
            words = _WORD.findall(phrase)
            if words:
                parts.append('"' + " ".join(words) + '"')
            continue
        if word in _OPERATORS:
            if not parts and word == "NOT":
                # FTS5 has no unary NOT; dropping it would search for the opposite.
                raise InvalidInput("NOT needs a word before it, as in: methadone NOT script.")
            if parts and parts[-1] not in _OPERATORS:
                parts.append(word)
            elif word == "NOT" and parts and parts[-1] == "AND":
                parts[-1] = "NOT"  # FTS5 spells "a AND NOT b" as "a NOT b"
            elif word == "NOT" and parts and parts[-1] == "OR":
                raise InvalidInput("OR NOT cannot be searched; write: methadone NOT script.")
            continue
        prefix = word.endswith("*")
        for piece in _WORD.findall(word):
            parts.append(f'"{piece}"' + ("*" if prefix else ""))
    while parts and parts[-1] in _OPERATORS:
        parts.pop()
    return " ".join(parts)


def search(
    session: Session, query: str, filters: SearchFilters | None = None, limit: int = 50
) -> list[SearchHit]:
    fts = to_fts_query(query)
    if not fts:
        raise InvalidInput("The search has no words in it.")
    limit = max(1, min(limit, MAX_LIMIT))
    filters = filters or SearchFilters()
    where = ["search_index MATCH :q"]
    params: dict[str, object] = {"q": fts, "limit": limit}
    if filters.encounter_type:
        where.append("e.encounter_type = :etype")
        params["etype"] = filters.encounter_type
    if filters.date_from:
        where.append("e.date >= :dfrom")
        params["dfrom"] = filters.date_from.isoformat()
    if filters.date_to:
        where.append("e.date <= :dto")
        params["dto"] = filters.date_to.isoformat()
    if filters.site_id:
        where.append("e.site_id = :site")
        params["site"] = filters.site_id
    if filters.kind:
        if filters.kind not in ("fieldnote", "segment"):
            raise InvalidInput(f"Unknown kind {filters.kind!r}; choose fieldnote or segment.")
        where.append("d.kind = :kind")
        params["kind"] = filters.kind
    if filters.participant_id:
        where.append(
            "EXISTS (SELECT 1 FROM encounter_participant ep "
            "WHERE ep.encounter_id = e.id AND ep.participant_id = :pid)"
        )
        params["pid"] = filters.participant_id
    sql = f"""
        SELECT d.kind, d.ref_id, d.encounter_id, e.title, e.encounter_type, e.date,
               search_index.title,
               snippet(search_index, -1, '{HIT_START}', '{HIT_END}', '…', 24),
               bm25(search_index, 4.0, 1.0) AS score, t.recording_id, ts.start
        FROM search_index
        JOIN search_doc AS d ON d.doc_id = search_index.rowid
        JOIN encounter AS e ON e.id = d.encounter_id
        LEFT JOIN transcript_segment AS ts ON d.kind = 'segment' AND ts.id = d.ref_id
        LEFT JOIN transcript AS t ON t.id = ts.transcript_id
        WHERE {" AND ".join(where)}
        ORDER BY score
        LIMIT :limit
    """  # noqa: S608 - only fixed fragments are joined; values are bound parameters
    rows = session.execute(text(sql), params).all()
    return [
        SearchHit(
            kind=row[0],
            ref_id=row[1],
            encounter_id=row[2],
            encounter_title=row[3],
            encounter_type=row[4],
            date=date.fromisoformat(row[5]),
            title=row[6] or "",
            snippet_parts=split_snippet(row[7] or ""),
            score=float(row[8]),
            recording_id=row[9],
            seconds=None if row[10] is None else float(row[10]),
        )
        for row in rows
    ]


def split_snippet(snippet: str) -> list[tuple[str, bool]]:
    """Split FTS5's marked snippet into (text, is_match) parts."""
    parts: list[tuple[str, bool]] = []
    for i, chunk in enumerate(re.split(f"[{HIT_START}{HIT_END}]", snippet)):
        if chunk:
            parts.append((chunk, i % 2 == 1))
    return parts
