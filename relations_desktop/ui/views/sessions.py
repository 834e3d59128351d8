"""Sessions: the list of encounters, one session's fieldnotes, and the note editor."""

from __future__ import annotations

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
from relations_desktop.ui.views.encounter_editor import EncounterEditor
from relations_desktop.ui.views.note_editor import NoteEditor
from relations_desktop.ui.views.recordings import RecordingsPanel
from relations_desktop.ui.widgets.record_table import Column, RecordTableModel

ID_ROLE = Qt.ItemDataRole.UserRole

COLUMNS: list[Column[EncounterRecord]] = [
    Column("Date", lambda e: format_date(e.date)),
    Column("Type", lambda e: encounter_type_label(e.encounter_type)),
    Column("Title", lambda e: e.title),
    Column("Participants", lambda e: ", ".join(e.participant_labels)),
    Column("Notes", lambda e: str(e.note_count), align_right=True),
]


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

        self.model: RecordTableModel[EncounterRecord] = RecordTableModel(COLUMNS, self)
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
        splitter.setSizes([200, 500])
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
        self.title_label = QLabel(detail)
        self.title_label.setObjectName("sessionTitle")
        self.meta_label = QLabel(detail)
        self.meta_label.setObjectName("hint")
        self.meta_label.setWordWrap(True)

        notes_heading = QLabel("Fieldnotes", detail)
        notes_heading.setObjectName("sectionTitle")
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
        self.notes = QListWidget(detail)
        self.notes.setAccessibleName("Fieldnotes")
        self.notes.setObjectName("notesList")
        self.notes.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.notes.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.notes.currentItemChanged.connect(self._note_changed)

        notes_top = QHBoxLayout()
        notes_top.addWidget(notes_heading)
        notes_top.addStretch(1)
        notes_top.addWidget(self.new_note_button)
        notes_box = QWidget(detail)
        notes_layout = QVBoxLayout(notes_box)
        notes_layout.setContentsMargins(0, 0, 8, 0)
        notes_layout.addLayout(notes_top)
        notes_layout.addWidget(self.notes, 1)
        self._notes_split = QSplitter(Qt.Orientation.Horizontal, detail)
        self._notes_split.addWidget(notes_box)
        self._notes_split.setChildrenCollapsible(False)

        self.recordings = RecordingsPanel(self.context, detail)
        self.recordings.record_requested.connect(self._record)
        self.recordings.status_message.connect(self.status_message)
        self._detail_split = QSplitter(Qt.Orientation.Vertical, detail)
        self._detail_split.addWidget(self.recordings)
        self._detail_split.addWidget(self._notes_split)
        self._detail_split.setChildrenCollapsible(False)
        self._detail_split.setSizes([self.recordings.sizeHint().height(), 300])

        layout = QVBoxLayout(detail)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title_label)
        layout.addWidget(self.meta_label)
        layout.addSpacing(6)
        layout.addWidget(self._detail_split, 1)
        return detail

    # ---------------------------------------------------------------- sessions
    def refresh(self) -> None:
        self.runner.submit(self.service.list_encounters, on_result=self._fill)

    def _fill(self, encounters: list[EncounterRecord]) -> None:
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
            self.notes.clear()
            self.recordings.set_encounter(None)
            return
        self.title_label.setText(record.title)
        meta = [encounter_type_label(record.encounter_type), format_date(record.date)]
        if record.participant_labels:
            meta.append(", ".join(record.participant_labels))
        self.meta_label.setText("  ·  ".join(meta))
        if same:
            if self._pending_note_id:
                self._select_note(self._pending_note_id)
            return
        self.recordings.set_encounter(record.id, self._pending_recording_id)
        self._pending_recording_id = None
        self.note_editor.clear()
        self._shown_note_id = None
        self.notes.clear()
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
        self.notes.clear()
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

    def _add_note_item(self, note: FieldnoteRecord) -> QListWidgetItem:
        item = QListWidgetItem(self.notes)
        item.setData(ID_ROLE, note.id)
        self._label_item(item, note)
        return item

    @staticmethod
    def _label_item(item: QListWidgetItem, note: FieldnoteRecord) -> None:
        preview = note.preview or "(empty)"
        item.setText(f"{note_kind_label(note.kind)}\n{preview[:60]}")

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

    def new_note(self, kind: str) -> None:
        if self.current is None:
            self.status_message.emit("Select or create a session first.")
            return
        self.runner.submit(
            self.service.add_note, self.current.id, "", kind=kind, on_result=self._note_created
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
        self.notes.clear()
        self.model.clear()
        self.title_label.clear()
        self.meta_label.clear()
