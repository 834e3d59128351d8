"""Fetching a row by the id a user gave, or a clear NotFound."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

from relations_desktop.core.errors import NotFound

T = TypeVar("T")


def get_or_missing(session: Session, model: type[T], ident: str | None, noun: str) -> T:
    """The row of ``model`` with primary key ``ident``; "There is no <noun> with id …"."""
    row = session.get(model, ident) if ident else None
    if row is None:
        raise NotFound(f"There is no {noun} with id {ident!r}.")
    return row
