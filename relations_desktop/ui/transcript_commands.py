"""Undo and redo in the transcript editor: each command calls the service and its inverse.

Every call goes through the task runner, so the store sees the commands in the order
they were made. A split creates a segment (and undoing a merge makes the second one
again) under a new id: :class:`IdMap` remembers which id stands for which, and every
command resolves its ids when it runs, on the worker thread, after the commands
before it have run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

from PySide6.QtGui import QUndoCommand

from relations_desktop.core.records import SegmentRecord, SpeakerRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner


class IdMap:
    """Old segment id → the id of the segment that took its place (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._map: dict[str, str] = {}

    def alias(self, old: str, new: str) -> None:
        if old != new:
            with self._lock:
                self._map[old] = new

    def resolve(self, segment_id: str) -> str:
        with self._lock:
            seen = set()
            while segment_id in self._map and segment_id not in seen:
                seen.add(segment_id)
                segment_id = self._map[segment_id]
            return segment_id


class EditorHost(Protocol):
    """What the commands need from the editor."""

    service: StoreService
    runner: TaskRunner
    ids: IdMap

    def show_text(self, segment_id: str, text: str) -> None: ...

    def text_saved(self, record: SegmentRecord) -> None: ...

    def text_failed(self, segment_id: str, text: str, error: BaseException) -> None: ...

    def show_speaker(self, segment_ids: list[str], speaker_id: str | None) -> None: ...

    def segment_saved(self, record: SegmentRecord) -> None: ...

    def speaker_saved(self, record: SpeakerRecord) -> None: ...

    def reload(self, select_id: str | None = None) -> None: ...

    def command_failed(self, what: str, error: BaseException) -> None: ...


class _Command(QUndoCommand):
    def __init__(self, host: EditorHost, text: str) -> None:
        super().__init__(text)
        self.host = host

    def _submit(
        self,
        fn: Callable[[], Any],
        on_result: Callable[[Any], None] | None,
        what: str,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        host = self.host
        host.runner.submit(
            fn,
            on_result=on_result,
            on_error=on_error or partial(host.command_failed, what),
            owner=host,  # type: ignore[arg-type]
        )


class EditText(_Command):
    def __init__(self, host: EditorHost, segment_id: str, old: str, new: str) -> None:
        super().__init__(host, "Edit text")
        self.segment_id, self.old, self.new = segment_id, old, new

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)

    def _apply(self, text: str) -> None:
        host, segment_id = self.host, self.segment_id
        host.show_text(host.ids.resolve(segment_id), text)

        def save() -> SegmentRecord:
            return host.service.transcripts.set_text(host.ids.resolve(segment_id), text)

        self._submit(
            save,
            host.text_saved,
            "Saving the text",
            on_error=lambda error: host.text_failed(host.ids.resolve(segment_id), text, error),
        )


class SetSpeaker(_Command):
    def __init__(
        self, host: EditorHost, before: list[tuple[str, str | None]], speaker_id: str | None
    ) -> None:
        super().__init__(host, "Change speaker")
        self.before, self.speaker_id = before, speaker_id

    def redo(self) -> None:
        self._apply([(segment_id, self.speaker_id) for segment_id, _ in self.before])

    def undo(self) -> None:
        self._apply(self.before)

    def _apply(self, changes: list[tuple[str, str | None]]) -> None:
        host = self.host
        for segment_id, speaker_id in changes:
            host.show_speaker([host.ids.resolve(segment_id)], speaker_id)

        def save() -> list[SegmentRecord]:
            transcripts = host.service.transcripts
            return [transcripts.set_speaker(host.ids.resolve(s), p) for s, p in changes]

        self._submit(save, lambda records: _each(records, host.segment_saved), "Changing speaker")


class Split(_Command):
    def __init__(self, host: EditorHost, segment_id: str, at_char: int) -> None:
        super().__init__(host, "Split segment")
        self.segment_id, self.at_char = segment_id, at_char
        self.second_id = ""  # set on the worker thread when the split has run

    def redo(self) -> None:
        host = self.host

        def split() -> str:
            _first, second = host.service.transcripts.split(
                host.ids.resolve(self.segment_id), self.at_char
            )
            if self.second_id:
                host.ids.alias(self.second_id, second.id)
            else:
                self.second_id = second.id
            return second.id

        self._submit(split, lambda second_id: host.reload(second_id), "Splitting the segment")

    def undo(self) -> None:
        host = self.host

        def merge() -> str:
            first = host.ids.resolve(self.segment_id)
            host.service.transcripts.merge(first, host.ids.resolve(self.second_id))
            return first

        self._submit(merge, lambda first: host.reload(first), "Undoing the split")


class Merge(_Command):
    def __init__(
        self,
        host: EditorHost,
        first_id: str,
        second_id: str,
        first_text: str,
        second_speaker: str | None,
    ) -> None:
        super().__init__(host, "Merge segments")
        self.first_id, self.second_id = first_id, second_id
        self.at_char = len(first_text.rstrip())
        self.second_speaker = second_speaker

    def redo(self) -> None:
        host = self.host

        def merge() -> str:
            first = host.ids.resolve(self.first_id)
            host.service.transcripts.merge(first, host.ids.resolve(self.second_id))
            return first

        self._submit(merge, lambda first: host.reload(first), "Merging the segments")

    def undo(self) -> None:
        host = self.host

        def split() -> str:
            transcripts = host.service.transcripts
            first, second = transcripts.split(host.ids.resolve(self.first_id), self.at_char)
            host.ids.alias(self.second_id, second.id)
            if second.speaker_id != self.second_speaker:
                transcripts.set_speaker(second.id, self.second_speaker)
            return first.id

        self._submit(split, lambda first: host.reload(first), "Undoing the merge")


class RenameSpeaker(_Command):
    def __init__(self, host: EditorHost, speaker_id: str, old: str, new: str) -> None:
        super().__init__(host, "Rename speaker")
        self.speaker_id, self.old, self.new = speaker_id, old, new

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)

    def _apply(self, label: str) -> None:
        host = self.host
        self._submit(
            lambda: host.service.transcripts.update_speaker(self.speaker_id, label=label),
            host.speaker_saved,
            "Renaming the speaker",
        )


class LinkSpeaker(_Command):
    def __init__(self, host: EditorHost, speaker_id: str, old: str | None, new: str | None) -> None:
        super().__init__(host, "Link speaker")
        self.speaker_id, self.old, self.new = speaker_id, old, new

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)

    def _apply(self, participant_id: str | None) -> None:
        host = self.host
        self._submit(
            lambda: host.service.transcripts.update_speaker(
                self.speaker_id, participant_id=participant_id
            ),
            host.speaker_saved,
            "Linking the speaker",
        )


def _each(records: list[SegmentRecord], fn: Callable[[SegmentRecord], None]) -> None:
    for record in records:
        fn(record)
