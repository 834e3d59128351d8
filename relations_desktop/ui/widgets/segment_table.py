"""The transcript's table: time, speaker, text; the current segment's text is edited in place.

The text editor stays open on the current row (like a document: type, Enter or Down
goes on to the next segment), rows are as tall as their text, and clicking a time
asks to play from there.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QContextMenuEvent, QMouseEvent, QResizeEvent, QTextCursor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from relations_desktop.core.records import SegmentRecord
from relations_desktop.ui.dialogs.quote_preview import QUOTE_ACTION, QUOTE_KEYS, quote_menu
from relations_desktop.ui.widgets.segment_delegates import (
    SegmentTextEdit,
    SpeakerDelegate,
    TextDelegate,
)
from relations_desktop.ui.widgets.transcript_model import (
    ID_ROLE,
    SPEAKER,
    START_ROLE,
    TEXT,
    TIME,
    TranscriptModel,
)

MIN_ROW = 30


class SegmentTable(QTableView):
    time_clicked = Signal(float)
    text_edited = Signal(str)  # segment id, while typing
    leaving = Signal(str, str)  # segment id, its text: the editor is about to close
    speaker_chosen = Signal(int, object)  # row, speaker id
    quote_requested = Signal()  # Copy as quote… from a context menu

    def __init__(self, model: TranscriptModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("segmentTable")
        self.setAccessibleName("Transcript")
        self.transcript = model
        self.setModel(model)
        self.editor: SegmentTextEdit | None = None
        self.read_only = False
        self.text_delegate = TextDelegate(self)
        self.text_delegate.editor_created.connect(self._editor_created)
        self.speaker_delegate = SpeakerDelegate(self)
        self.speaker_delegate.chosen.connect(self.speaker_chosen)
        self.setItemDelegateForColumn(TEXT, self.text_delegate)
        self.setItemDelegateForColumn(SPEAKER, self.speaker_delegate)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWordWrap(True)
        self.setTabKeyNavigation(False)
        self.setShowGrid(False)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.verticalHeader().setMinimumSectionSize(MIN_ROW)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(TIME, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(SPEAKER, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(TEXT, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(TIME, 104)
        self.setColumnWidth(SPEAKER, 150)
        self._refit = QTimer(self, singleShot=True, interval=60)
        header.sectionResized.connect(lambda *_a: self._refit.start())
        self._refit.timeout.connect(self.fit_rows)
        self.selectionModel().currentRowChanged.connect(self._current_changed)
        self.clicked.connect(self._clicked)
        model.modelAboutToBeReset.connect(self.close_text_editor)
        model.modelReset.connect(self.fit_rows)
        model.rowsInserted.connect(lambda _p, first, last: self.fit_rows(first, last))
        model.dataChanged.connect(self._data_changed)

    # ----------------------------------------------------------------- rows
    def fit_rows(self, first: int = 0, last: int = -1) -> None:
        count = self.transcript.rowCount()
        last = count - 1 if last < 0 else min(last, count - 1)
        width = max(60, self.columnWidth(TEXT))
        font = self.font()
        for row in range(first, last + 1):
            index = self.transcript.index(row, TEXT)
            height = self.text_delegate.height_for(index, font, width)
            self.setRowHeight(row, max(MIN_ROW, height))
        self._fit_editor()

    def _data_changed(self, top: QModelIndex, bottom: QModelIndex, *_roles: object) -> None:
        if top.column() <= TEXT <= bottom.column():
            self.fit_rows(top.row(), bottom.row())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._refit.start()

    # ------------------------------------------------------------ the editor
    def _editor_created(self, editor: SegmentTextEdit) -> None:
        self.editor = editor
        editor.textChanged.connect(self._typed)
        editor.leave.connect(self.move_by)
        editor.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        editor.customContextMenuRequested.connect(self._editor_menu)

    def _editor_menu(self, pos: QPoint) -> None:
        editor = self.editor
        if editor is not None:
            menu = quote_menu(editor, self.quote_requested.emit)
            menu.popup(editor.viewport().mapToGlobal(pos))

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        action = menu.addAction(f"{QUOTE_ACTION}\t{QUOTE_KEYS}")
        action.setObjectName("copyAsQuote")
        action.setEnabled(bool(self.selected_segments()))
        action.triggered.connect(lambda _checked=False: self.quote_requested.emit())
        menu.popup(event.globalPos())

    def _typed(self) -> None:
        editor = self.editor
        if editor is not None:
            self._fit_editor()
            self.text_edited.emit(editor.segment_id)

    def _fit_editor(self) -> None:
        editor, row = self.editor, self.currentIndex().row()
        if editor is None or row < 0:
            return
        height = max(MIN_ROW, editor.content_height())
        if self.rowHeight(row) != height:
            self.setRowHeight(row, height)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.close_text_editor()
        self.open_text_editor(current.row())

    def open_text_editor(self, row: int) -> None:
        if self.read_only or self.transcript.segment(row) is None:
            return
        self.openPersistentEditor(self.transcript.index(row, TEXT))
        self._fit_editor()

    def close_text_editor(self) -> None:
        editor, self.editor = self.editor, None
        if editor is None:
            return
        if editor.hasFocus():
            self.setFocus()  # else closing it would move the focus (and the row) on
        self.leaving.emit(editor.segment_id, editor.toPlainText())
        row = self.transcript.row_of(editor.segment_id)
        if row >= 0:
            self.closePersistentEditor(self.transcript.index(row, TEXT))
            self.fit_rows(row, row)
        else:
            editor.deleteLater()

    def set_read_only(self, read_only: bool) -> None:
        if read_only == self.read_only:
            return
        self.read_only = read_only
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.NoEditTriggers
            if read_only
            else QAbstractItemView.EditTrigger.DoubleClicked
        )
        if read_only:
            self.close_text_editor()
        else:
            self.open_text_editor(self.currentIndex().row())

    # ------------------------------------------------------------- moving
    def current_segment(self) -> SegmentRecord | None:
        return self.transcript.segment(self.currentIndex().row())

    def selected_segments(self) -> list[SegmentRecord]:
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        found = [s for r in rows if (s := self.transcript.segment(r)) is not None]
        current = self.current_segment()
        return found or ([current] if current is not None else [])

    def go_to(self, row: int, *, focus: bool = True, at_end: bool = False) -> None:
        if not 0 <= row < self.transcript.rowCount():
            return
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.selectionModel().setCurrentIndex(self.transcript.index(row, TEXT), flags)
        self.scrollTo(self.transcript.index(row, TEXT))
        editor = self.editor
        if focus and editor is not None:
            editor.setFocus()
            editor.moveCursor(
                QTextCursor.MoveOperation.End if at_end else QTextCursor.MoveOperation.Start
            )
        elif focus:
            self.setFocus()

    def go_to_segment(self, segment_id: str, **kwargs: bool) -> None:
        self.go_to(self.transcript.row_of(segment_id), **kwargs)

    def move_by(self, step: int) -> None:
        row = self.transcript.next_segment_row(self.currentIndex().row(), step)
        if row >= 0:
            self.go_to(row, at_end=step < 0)

    def _clicked(self, index: QModelIndex) -> None:
        if index.column() == TIME:
            self.time_clicked.emit(float(index.data(START_ROLE)))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        super().mousePressEvent(event)
        point = event.position().toPoint()
        index = self.indexAt(point)
        editor = self.editor
        if (
            index.column() == TEXT
            and editor is not None
            and editor.segment_id == index.data(ID_ROLE)
            and event.button() == Qt.MouseButton.LeftButton
        ):
            local = editor.viewport().mapFrom(self.viewport(), point)
            editor.setTextCursor(editor.cursorForPosition(local))
            editor.setFocus()
