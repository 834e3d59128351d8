"""Drawing and editing the transcript's cells: the text (unsure words in amber) and speaker.

The text of the current segment is edited in place by a :class:`SegmentTextEdit` that
the editor keeps open on the current row; the delegate draws every other row from a
small cache of laid-out documents, so a transcript of a thousand segments scrolls
smoothly.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QKeyEvent,
    QPainter,
    QPalette,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QApplication,
    QComboBox,
    QFrame,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTextEdit,
    QWidget,
)

from relations_desktop.core.records import WordRecord
from relations_desktop.ui.transcript_text import UNSURE_COLOUR, unsure_ranges
from relations_desktop.ui.widgets.transcript_model import (
    COLOUR_ROLE,
    ID_ROLE,
    KIND_ROLE,
    UNSURE_ROLE,
    TranscriptModel,
)

MARGIN = 6
CACHE_SIZE = 400  # laid-out documents kept for painting
HEIGHTS_SIZE = 20_000
Index = QModelIndex | QPersistentModelIndex


def unsure_format() -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setBackground(UNSURE_COLOUR)
    fmt.setToolTip("The speech model was unsure of this word")
    return fmt


def text_document(
    text: str, ranges: Sequence[tuple[int, int]], font: QFont, width: float
) -> QTextDocument:
    """A segment's text laid out at ``width``, unsure words highlighted."""
    doc = QTextDocument()
    doc.setDefaultFont(font)
    doc.setDocumentMargin(MARGIN)
    doc.setPlainText(text)
    fmt = unsure_format()
    for start, length in ranges:
        cursor = QTextCursor(doc)
        cursor.setPosition(start)
        cursor.setPosition(start + length, QTextCursor.MoveMode.KeepAnchor)
        cursor.mergeCharFormat(fmt)
    doc.setTextWidth(max(40.0, width))
    return doc


class UnsureHighlighter(QSyntaxHighlighter):
    """Highlights the unsure words in the segment being edited, as the text changes."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self.words: list[WordRecord] = []
        self._format = unsure_format()

    def set_words(self, words: Sequence[WordRecord]) -> None:
        self.words = list(words)
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802
        if not self.words:
            return
        block = self.currentBlock()
        start, end = block.position(), block.position() + len(text)
        for at, length in unsure_ranges(self.document().toPlainText(), self.words):
            if at < end and at + length > start:
                self.setFormat(max(0, at - start), length, self._format)


class SegmentTextEdit(QTextEdit):
    """The current segment's text. Up/Down past the edge, or Enter, leave the segment."""

    leave = Signal(int)  # -1: to the segment before, +1: to the next

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("segmentEditor")
        self.setAccessibleName("Segment text")
        self.setAcceptRichText(False)
        self.setUndoRedoEnabled(False)  # the editor's undo stack covers typing too
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTabChangesFocus(True)
        self.document().setDocumentMargin(MARGIN)
        self.highlighter = UnsureHighlighter(self.document())
        self.segment_id = ""

    def load(self, segment_id: str, text: str, words: Sequence[WordRecord]) -> None:
        self.segment_id = segment_id
        blocked = self.blockSignals(True)
        try:
            self.setPlainText(text)
            self.highlighter.set_words(words)
        finally:
            self.blockSignals(blocked)
        self.moveCursor(QTextCursor.MoveOperation.End)

    def set_text_kept_cursor(self, text: str) -> None:
        """Replace the text (an undo), keeping the cursor where it can stay."""
        position = self.textCursor().position()
        blocked = self.blockSignals(True)
        try:
            self.setPlainText(text)
        finally:
            self.blockSignals(blocked)
        cursor = self.textCursor()
        cursor.setPosition(min(position, len(text)))
        self.setTextCursor(cursor)

    def content_height(self) -> int:
        self.document().setTextWidth(self.viewport().width())
        return int(self.document().size().height()) + 1

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        key, mods = event.key(), event.modifiers()
        plain = mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.leave.emit(1)
            return
        if plain and key == Qt.Key.Key_Up and self._on_edge_line(first=True):
            self.leave.emit(-1)
            return
        if plain and key == Qt.Key.Key_Down and self._on_edge_line(first=False):
            self.leave.emit(1)
            return
        super().keyPressEvent(event)

    def _on_edge_line(self, *, first: bool) -> bool:
        cursor = self.textCursor()
        block = cursor.block()
        layout = block.layout()
        if layout is None or layout.lineCount() == 0:
            return True
        line = layout.lineForTextPosition(cursor.positionInBlock()).lineNumber()
        if first:
            return block == self.document().firstBlock() and line <= 0
        return block == self.document().lastBlock() and line >= layout.lineCount() - 1


class TextDelegate(QStyledItemDelegate):
    """Draws segment text with unsure words highlighted; edits it in a SegmentTextEdit."""

    editor_created = Signal(object)  # the SegmentTextEdit

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache: OrderedDict[tuple[object, ...], QTextDocument] = OrderedDict()
        self._heights: dict[tuple[object, ...], int] = {}

    def document(self, option: QStyleOptionViewItem, index: Index, width: int) -> QTextDocument:
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        ranges = index.data(UNSURE_ROLE) or []
        font = option.font
        key = (index.data(ID_ROLE), text, tuple(ranges), width, font.key())
        doc = self._cache.get(key)
        if doc is None:
            doc = text_document(text, ranges, font, width)
            self._cache[key] = doc
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return doc

    def clear_cache(self) -> None:
        self._cache.clear()
        self._heights.clear()

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        doc = self.document(opt, index, opt.rect.width())
        opt.text = ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        colour = opt.palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        if foreground is not None and not selected:
            colour = foreground.color()
        context.palette.setColor(QPalette.ColorRole.Text, colour)
        painter.save()
        painter.translate(opt.rect.topLeft())
        painter.setClipRect(QRectF(0, 0, opt.rect.width(), opt.rect.height()))
        doc.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        width = opt.rect.width()
        view = opt.widget
        if width <= 0 and view is not None and hasattr(view, "columnWidth"):
            width = view.columnWidth(index.column())
        doc = self.document(opt, index, width)
        return QSize(int(doc.idealWidth()), int(doc.size().height()) + 1)

    def height_for(self, index: Index, font: QFont, width: int) -> int:
        """The row height the text needs (remembered: a reload lays out nothing again)."""
        custom = index.data(Qt.ItemDataRole.FontRole)
        if isinstance(custom, QFont):
            font = custom.resolve(font)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        key = (text, tuple(index.data(UNSURE_ROLE) or []), width, font.key())
        height = self._heights.get(key)
        if height is None:
            opt = QStyleOptionViewItem()
            opt.font = font
            height = int(self.document(opt, index, width).size().height()) + 1
            if len(self._heights) > HEIGHTS_SIZE:
                self._heights.clear()
            self._heights[key] = height
        return height

    def createEditor(  # noqa: N802
        self, parent: QWidget, option: QStyleOptionViewItem, index: Index
    ) -> QWidget:
        editor = SegmentTextEdit(parent)
        editor.setFont(option.font)
        self.editor_created.emit(editor)
        return editor

    def setEditorData(self, editor: QWidget, index: Index) -> None:  # noqa: N802
        # The view loads the text once and keeps what is typed: a model update (a save
        # coming back) must never overwrite typing.
        if isinstance(editor, SegmentTextEdit) and editor.segment_id != index.data(ID_ROLE):
            model = index.model()
            words: list[WordRecord] = []
            if isinstance(model, TranscriptModel):
                segment = model.segment(index.row())
                words = segment.words if segment is not None else []
            editor.load(str(index.data(ID_ROLE)), str(index.data() or ""), words)

    def setModelData(self, editor: QWidget, model: object, index: Index) -> None:  # noqa: N802
        pass  # the view saves the text (autosave, undo)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        return False  # no commit or close on Tab, Esc or focus out: the view decides

    def updateEditorGeometry(  # noqa: N802
        self, editor: QWidget, option: QStyleOptionViewItem, index: Index
    ) -> None:
        editor.setGeometry(option.rect)


class SpeakerDelegate(QStyledItemDelegate):
    """The speaker with its colour; double-click chooses another."""

    chosen = Signal(int, object)  # row, speaker id (None: no speaker)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = opt.rect.adjusted(MARGIN, MARGIN, -MARGIN, 0)
        line = opt.fontMetrics.height()
        if index.data(KIND_ROLE) == "segment":
            colour = index.data(COLOUR_ROLE) or QColor("#cbd5e1")
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawEllipse(QRectF(rect.left(), rect.top() + line / 2 - 4, 8, 8))
            rect = rect.adjusted(14, 0, 0, 0)
            font = QFont(opt.font)
            font.setWeight(QFont.Weight.DemiBold)
            painter.setFont(font)
            painter.setPen(
                colour if text else opt.palette.color(QPalette.ColorRole.PlaceholderText)
            )
            text = text or "—"
        else:
            painter.setFont(opt.font)
            foreground = index.data(Qt.ItemDataRole.ForegroundRole)
            painter.setPen(foreground.color() if foreground is not None else QColor("#7c5e10"))
        elided = opt.fontMetrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop), elided)
        painter.restore()

    def createEditor(  # noqa: N802
        self, parent: QWidget, option: QStyleOptionViewItem, index: Index
    ) -> QWidget:
        combo = QComboBox(parent)
        combo.setAccessibleName("Speaker")
        combo.addItem("No speaker", None)
        model = index.model()
        if isinstance(model, TranscriptModel):
            for number, speaker in enumerate(model.speakers, start=1):
                combo.addItem(f"{speaker.label}  (Ctrl+{number})", speaker.id)
        combo.activated.connect(lambda _i: self._commit(combo))
        return combo

    def _commit(self, combo: QComboBox) -> None:
        self.commitData.emit(combo)
        self.closeEditor.emit(combo, QAbstractItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor: QWidget, index: Index) -> None:  # noqa: N802
        model = index.model()
        if isinstance(editor, QComboBox) and isinstance(model, TranscriptModel):
            segment = model.segment(index.row())
            found = editor.findData(segment.speaker_id if segment else None)
            editor.setCurrentIndex(max(0, found))

    def setModelData(self, editor: QWidget, model: object, index: Index) -> None:  # noqa: N802
        if isinstance(editor, QComboBox):
            self.chosen.emit(index.row(), editor.currentData())

    def updateEditorGeometry(  # noqa: N802
        self, editor: QWidget, option: QStyleOptionViewItem, index: Index
    ) -> None:
        rect = option.rect
        editor.setGeometry(rect.x(), rect.y(), rect.width(), editor.sizeHint().height())
