"""A note's Markdown, rendered read-only. Nothing is ever fetched or opened.

Rendering is Qt's own Markdown reader (GitHub dialect, raw HTML shown as text). Images
are replaced by a line of text naming them before anything is laid out, links are not
followed, and :meth:`MarkdownPreview.loadResource` refuses whatever the document still
asks for (recording the address), so a note cannot make the app touch the network or
read a local file.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor, QTextDocument, QTextFormat
from PySide6.QtWidgets import QTextBrowser, QWidget

FEATURES = (
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    | QTextDocument.MarkdownFeature.MarkdownNoHTML
)
MUTED = "#6b7280"


class MarkdownPreview(QTextBrowser):
    link_clicked = Signal(str)  # the address of a link the researcher clicked (not opened)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("notePreview")
        self.setAccessibleName("Note preview")
        self.setReadOnly(True)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.refused: list[str] = []  # resources the document asked for (none was loaded)
        self.anchorClicked.connect(lambda url: self.link_clicked.emit(url.toString()))

    def set_markdown(self, text: str) -> None:
        document = self.document()
        document.setMarkdown(text, FEATURES)
        _replace_images(document)
        self.moveCursor(QTextCursor.MoveOperation.Start)

    def loadResource(self, kind: int, name: QUrl | str) -> Any:  # noqa: N802 - Qt's name
        """Refuse every resource: no network, no local files, no Qt resources."""
        self.refused.append(name.toString() if isinstance(name, QUrl) else name)
        return None

    def setSource(self, *_args: object) -> None:  # noqa: N802 - Qt's name
        """Never navigate anywhere (a link or a keyboard shortcut could ask to)."""


def _replace_images(document: QTextDocument) -> None:
    """Put ``[image not shown: alt]`` where the Markdown had an image."""
    found: list[tuple[int, int, str]] = []
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            char_format = fragment.charFormat()
            if fragment.isValid() and char_format.isImageFormat():
                image = char_format.toImageFormat()
                alt = image.property(QTextFormat.Property.ImageAltText)
                label = str(alt) if alt else image.name()
                found.append((fragment.position(), fragment.length(), label))
            fragments += 1
        block = block.next()
    muted = QTextCharFormat()
    muted.setForeground(QColor(MUTED))
    muted.setFontItalic(True)
    for position, length, label in reversed(found):
        cursor = QTextCursor(document)
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(f"[image not shown: {label}]", muted)
