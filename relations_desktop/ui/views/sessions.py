"""Sessions: the list of encounters and one session's page.

The page shows who was present and what their consent allows, the site, a banner when
the session is flagged for review after a withdrawal, the recordings, the fieldnotes
(with the note editor) and the jottings timeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.records import EncounterRecord, FieldnoteRecord
from relations_desktop.core.services import StoreService
from relations_desktop.ui.context import AppContext
from relations_desktop.ui.labels import (
    NOTE_KINDS,
    encounter_type_label,
    format_date,
    note_kind_label,
)
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.encounter_editor import EncounterEditor, EncounterHeader
from relations_desktop.ui.views.note_editor import NoteEditor, TemplateMenu
from relations_desktop.ui.views.recordings import RecordingsPanel
from relations_desktop.ui.widgets.jottings_timeline import JottingsTimeline
from relations_desktop.ui.widgets.record_table import Column, RecordTableModel

ID_ROLE = Qt.ItemDataRole.UserRole
FLAG = "⚑"


@dataclass(frozen=True)
class SessionList:
    encounters: list[EncounterRecord]
    flagged: set[str]  # ids of sessions to review after a withdrawal
    sites: dict[str, str]  # site id → name


def list_sessions(service: StoreService) -> SessionList:
    """(worker thread) Every session, which are flagged, and the sites' names."""
    flagged = {f.encounter_id for f in service.consent.encounter_flags()}
    sites = {s.id: s.name for s in service.register.list_sites()}
    return SessionList(service.list_encounters(), flagged, sites)


class SessionsView(QWidget):
    status_message = Signal(str)
    record_requested = Signal(object)  # the EncounterRecord to record

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        note_editor: NoteEditor | None = None,
        context: AppContext | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.context = context or AppContext(service, runner)
        self.current: EncounterRecord | None = None
        self.editor_dialog: EncounterEditor | None = None
        self.flagged: set[str] = set()
        self.sites: dict[str, str] = {}
        self._pending_note_id: str | None = None
        self._pending_recording_id: str | None = None
        self._want_encounter_id: str | None = None
        self._shown_note_id: str | None = None

        heading = QLabel("Sessions", self)
        heading.setObjectName("viewTitle")
        self.new_button = QPushButton("New session", self)
        self.new_button.setObjectName("primary")
        self.new_button.setToolTip("New session (Ctrl+N)")
        self.new_button.clicked.connect(self.new_session)
        self.edit_button = QPushButton("Edit session…", self)
        self.edit_button.clicked.connect(self.edit_session)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(self.edit_button)
        top.addWidget(self.new_button)

        columns: list[Column[EncounterRecord]] = [
            Column("Date", lambda e: format_date(e.date)),
            Column("Type", lambda e: encounter_type_label(e.encounter_type)),
            Column("Title", lambda e: f"{FLAG} {e.title}" if e.id in self.flagged else e.title),
            Column("Participants", lambda e: ", ".join(e.participant_labels)),
            Column("Notes", lambda e: str(e.note_count), align_right=True),
        ]
        self.model: RecordTableModel[EncounterRecord] = RecordTableModel(columns, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Sessions")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header.setHighlightSections(False)
        self.table.selectionModel().currentRowChanged.connect(self._row_changed)
        self.table.doubleClicked.connect(lambda _index: self.edit_session())

        self.detail = self._build_detail()
        self.empty_hint = QLabel(
            "No sessions yet. Create the first one with “New session” (Ctrl+N).", self
        )
        self.empty_hint.setObjectName("hint")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.note_editor = NoteEditor(service, runner) if note_editor is None else note_editor
        self.note_editor.setParent(self.detail)
        self.note_editor.saved.connect(self._note_saved)
        self.note_editor.status_changed.connect(self.status_message)
        self._notes_split.addWidget(self.note_editor)
        self._notes_split.setSizes([260, 640])

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([150, 650])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.empty_hint)
        self._show_detail(False)

    def _build_detail(self) -> QWidget:
        detail = QWidget(self)
        detail.setObjectName("sessionDetail")
        self.header = EncounterHeader(self.service, self.runner, detail)
        self.header.reviewed.connect(self.refresh)
        self.header.status_message.connect(self.status_message)
        self.title_label = self.header.title_label
        self.meta_label = self.header.meta_label

        self.new_note_button = QPushButton("New note", detail)
        self.new_note_button.setAccessibleName("New note")
        self.new_note_button.setToolTip("New note of the chosen kind (Ctrl+Shift+N: expanded)")
        menu = QMenu(self.new_note_button)
        for slug, label in NOTE_KINDS:
            action = QAction(label, menu)
            action.triggered.connect(lambda _checked=False, kind=slug: self.new_note(kind))
            menu.addAction(action)
        self.new_note_button.setMenu(menu)
        self.new_note_button.setProperty("hasMenu", True)
        self.template_button = QPushButton("From template", detail)
        self.template_button.setAccessibleName("New note from template")
        self.template_button.setToolTip("A new fieldnote laid out for an observation setting")
        self.template_menu = TemplateMenu(self.template_button)
        self.template_menu.chosen.connect(lambda t: self.new_note("expanded", t.body))
        self.template_button.setMenu(self.template_menu)
        self.template_button.setProperty("hasMenu", True)
        self.notes = QListWidget(detail)
        self.notes.setAccessibleName("Fieldnotes")
        self.notes.setObjectName("notesList")
        self.notes.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.notes.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.notes.currentItemChanged.connect(self._note_changed)
        self.jottings = JottingsTimeline(detail)
        self.jottings.play_requested.connect(self.play_jotting)

        notes_top = QHBoxLayout()
        notes_top.addWidget(_section("Fieldnotes", detail))
        notes_top.addStretch(1)
        notes_top.addWidget(self.template_button)
        notes_top.addWidget(self.new_note_button)
        notes_box = QWidget(detail)
        notes_layout = QVBoxLayout(notes_box)
        notes_layout.setContentsMargins(0, 0, 8, 0)
        notes_layout.addLayout(notes_top)
        notes_layout.addWidget(self.notes, 3)
        notes_layout.addWidget(_section("Jottings timeline", detail))
        notes_layout.addWidget(self.jottings, 2)
        self._notes_split = QSplitter(Qt.Orientation.Horizontal, detail)
        self._notes_split.addWidget(notes_box)
        self._notes_split.setChildrenCollapsible(False)

        self.recordings = RecordingsPanel(self.context, detail)
        self.recordings.record_requested.connect(self._record)
        self.recordings.status_message.connect(self.status_message)
        self.recordings.model.modelReset.connect(
            lambda: self.jottings.set_recordings(self.recordings.model.records())
        )
        self._detail_split = QSplitter(Qt.Orientation.Vertical, detail)
        self._detail_split.addWidget(self.recordings)
        self._detail_split.addWidget(self._notes_split)
        self._detail_split.setChildrenCollapsible(False)
        self._detail_split.setSizes([self.recordings.sizeHint().height(), 300])

        layout = QVBoxLayout(detail)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.header)
        layout.addSpacing(6)
        layout.addWidget(self._detail_split, 1)
        return detail

    # ---------------------------------------------------------------- sessions
    def refresh(self) -> None:
        self.runner.submit(list_sessions, self.service, on_result=self._fill, owner=self)

    def _fill(self, listing: SessionList) -> None:
        encounters = listing.encounters
        self.flagged, self.sites = listing.flagged, listing.sites
        keep = self._want_encounter_id or (self.current.id if self.current else None)
        self._want_encounter_id = None
        self.model.set_records(encounters)
        row = self.model.row_of(lambda e: e.id == keep) if keep else -1
        if row < 0 and encounters:
            row = 0
        if row >= 0:
            self.select_row(row)
        else:
            self._encounter_selected(None)

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().setCurrentIndex(index, flags)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._encounter_selected(self.model.record(current.row()) if current.isValid() else None)

    def _encounter_selected(self, record: EncounterRecord | None) -> None:
        same = record is not None and self.current is not None and record.id == self.current.id
        self.current = record
        self._show_detail(record is not None)
        if record is None:
            self.note_editor.clear()
            self._clear_notes()
            self.recordings.set_encounter(None)
            return
        self.header.show_encounter(
            record, self.sites.get(record.site_id) if record.site_id else None
        )
        self.template_menu.set_session_type(record.encounter_type)
        if same:
            self.note_editor.refresh_context()  # who was present may have changed
            if self._pending_note_id:
                self._select_note(self._pending_note_id)
            return
        self.recordings.set_encounter(record.id, self._pending_recording_id)
        self._pending_recording_id = None
        self.note_editor.clear()
        self._shown_note_id = None
        self._clear_notes()
        self.runner.submit(
            self.service.list_notes,
            record.id,
            on_result=lambda n: self._fill_notes(record.id, n),
            owner=self,
        )

    def _show_detail(self, visible: bool) -> None:
        self.detail.setVisible(visible)
        self.edit_button.setEnabled(visible)
        self.empty_hint.setVisible(not visible and self.model.rowCount() == 0)

    def new_session(self) -> None:
        self._open_editor(None)

    def edit_session(self) -> None:
        if self.current is not None:
            self._open_editor(self.current)

    def _open_editor(self, record: EncounterRecord | None) -> None:
        dialog = EncounterEditor(self.service, self.runner, record, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(self._encounter_saved)
        self.editor_dialog = dialog
        dialog.open()

    def _record(self) -> None:
        if self.current is not None:
            self.record_requested.emit(self.current)

    def play_jotting(self, recording_id: str, seconds: float) -> None:
        """Play the recording from where a jotting was typed."""
        self.recordings.select_recording(recording_id)
        current = self.recordings.current
        if current is not None and current.id == recording_id:
            self.recordings.player.play_from(seconds)

    def show_recording(self, encounter_id: str, recording_id: str) -> None:
        """Select a session and one of its recordings (after recording it)."""
        if self.current is not None and self.current.id == encounter_id:
            self.recordings.refresh(recording_id or None)
            self._reload_notes()  # the jottings are fieldnotes too
            self.refresh()
            return
        self._pending_recording_id = recording_id or None
        self._want_encounter_id = encounter_id
        self.refresh()

    def _encounter_saved(self, record: EncounterRecord) -> None:
        self._want_encounter_id = record.id
        self.refresh()
        self.status_message.emit(f"Session “{record.title}” saved")

    # ------------------------------------------------------------------- notes
    def _fill_notes(self, encounter_id: str, notes: list[FieldnoteRecord]) -> None:
        if self.current is None or self.current.id != encounter_id:
            return
        self._clear_notes()
        for note in notes:
            self._add_note_item(note)
        target = self._pending_note_id or (notes[0].id if notes else None)
        if target:
            self._select_note(target)

    def _reload_notes(self) -> None:
        if self.current is None:
            return
        self._pending_note_id = self._pending_note_id or self._shown_note_id
        encounter_id = self.current.id
        self.runner.submit(
            self.service.list_notes,
            encounter_id,
            on_result=lambda n: self._fill_notes(encounter_id, n),
            owner=self,
        )

    def _clear_notes(self) -> None:
        """Empty the list without selecting (and so loading) each note as it goes."""
        was_blocked = self.notes.blockSignals(True)
        self.notes.clear()
        self.notes.blockSignals(was_blocked)

    def _add_note_item(self, note: FieldnoteRecord) -> QListWidgetItem:
        item = QListWidgetItem(self.notes)
        item.setData(ID_ROLE, note.id)
        self._label_item(item, note)
        return item

    @staticmethod
    def _label_item(item: QListWidgetItem, note: FieldnoteRecord) -> None:
        preview = note.preview.lstrip("#").strip() or "(empty)"
        tags = "  " + " ".join(f"#{t}" for t in note.tags) if note.tags else ""
        item.setText(f"{note_kind_label(note.kind)}{tags}\n{preview[:60]}")

    def _select_note(self, note_id: str) -> None:
        for row in range(self.notes.count()):
            if self.notes.item(row).data(ID_ROLE) == note_id:
                self._pending_note_id = None
                self.notes.setCurrentRow(row)
                return

    def _note_changed(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is None:
            return
        note_id = str(item.data(ID_ROLE))
        if note_id == self._shown_note_id:
            return
        self.note_editor.clear()  # saves the note shown before
        self._shown_note_id = note_id
        self.runner.submit(self.service.get_note, note_id, on_result=self._note_loaded)

    def _note_loaded(self, note: FieldnoteRecord) -> None:
        if note.id == self._shown_note_id:
            self.note_editor.load(note)

    def _note_saved(self, note: FieldnoteRecord) -> None:
        for row in range(self.notes.count()):
            item = self.notes.item(row)
            if item.data(ID_ROLE) == note.id:
                self._label_item(item, note)

    def new_note(self, kind: str, body: str = "") -> None:
        if self.current is None:
            self.status_message.emit("Select or create a session first.")
            return
        self.runner.submit(
            self.service.add_note, self.current.id, body, kind=kind, on_result=self._note_created
        )

    def _note_created(self, note: FieldnoteRecord) -> None:
        if self.current is None or self.current.id != note.encounter_id:
            return
        self.note_editor.clear()
        self._shown_note_id = note.id
        item = self._add_note_item(note)
        self.notes.setCurrentItem(item)
        self.note_editor.load(note)
        self.note_editor.focus_body()
        self.refresh()

    def open_note(self, encounter_id: str, note_id: str) -> None:
        """Show one note (from a search hit)."""
        self._pending_note_id = note_id
        row = self.model.row_of(lambda e: e.id == encounter_id)
        if row < 0:
            self._want_encounter_id = encounter_id
            self.refresh()
        elif self.current is not None and self.current.id == encounter_id:
            self._select_note(note_id)
        else:
            self.select_row(row)

    # ------------------------------------------------------------ lifecycle
    def flush(self) -> None:
        self.note_editor.save_now()

    def stop_playback(self) -> None:
        self.recordings.stop_playback()

    def wipe(self) -> None:
        self.recordings.wipe()
        self.note_editor.clear()
        self._clear_notes()
        self.jottings.clear()
        self.header.clear()
        self.model.clear()


def _section(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("sectionTitle")
    return label
