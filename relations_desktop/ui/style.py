"""The look: a calm light theme with a dark sidebar (Fusion style plus a stylesheet)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#2f6f73"
RECORD = "#c62828"
STYLESHEET = f"""
QMainWindow, QDialog {{ background: #f7f7f5; }}
#sidebar {{ background: #1f2a30; }}
#brand {{ color: #ffffff; font-size: 17pt; font-weight: 600; padding: 0 6px; }}
#sidebarHint {{ color: #9fb0b8; padding: 0 6px; }}
#nav {{ background: transparent; border: none; color: #d6e0e4; font-size: 11pt; outline: 0; }}
#nav::item {{ padding: 6px 10px; border-radius: 6px; margin: 1px 0; }}
#nav::item:selected {{ background: {ACCENT}; color: #ffffff; }}
#nav::item:hover:!selected {{ background: #2b3a42; }}
#pages {{ background: #f7f7f5; }}
#viewTitle {{ font-size: 16pt; font-weight: 600; color: #1f2a30; }}
#sessionTitle {{ font-size: 13pt; font-weight: 600; color: #1f2a30; }}
#sectionTitle {{ font-weight: 600; color: #374151; }}
#noteKind {{ color: {ACCENT}; font-weight: 600; }}
#saveStatus, #hint, #statusHint {{ color: #6b7280; }}
QLabel#message[tone="error"] {{ color: #b3261e; }}
QLabel#message[tone="info"] {{ color: #4b5563; }}
QTableView, QListWidget, QPlainTextEdit, QLineEdit, QComboBox, QDateEdit, QSpinBox {{
    background: #ffffff; border: 1px solid #d9dcd6; border-radius: 6px;
    selection-background-color: #cfe3e4; selection-color: #111827;
}}
QLineEdit, QComboBox, QDateEdit, QSpinBox {{ padding: 4px 6px; min-height: 20px; }}
QPlainTextEdit#noteBody {{ padding: 10px; }}
QTableView {{ alternate-background-color: #fafaf8; }}
QTableView::item {{ padding: 4px 8px; }}
QHeaderView::section {{
    background: #f0f1ee; border: none; border-bottom: 1px solid #d9dcd6;
    padding: 6px 8px; font-weight: 600; color: #374151;
}}
#notesList::item {{ padding: 6px 8px; border-bottom: 1px solid #eef0ec; }}
#searchResults::item {{ border-bottom: 1px solid #eef0ec; }}
QPushButton, QToolButton {{
    background: #ffffff; border: 1px solid #cfd3cc; border-radius: 6px; padding: 5px 14px;
}}
QPushButton:hover, QToolButton:hover {{ background: #f0f4f4; }}
QPushButton#primary {{ background: {ACCENT}; color: #ffffff; border-color: {ACCENT}; }}
QPushButton#primary:hover {{ background: #275d60; }}
QPushButton::menu-indicator {{ subcontrol-position: right center; right: 6px; }}
QPushButton[hasMenu="true"] {{ padding-right: 24px; }}
QPushButton:disabled {{ color: #9ca3af; }}
#lockScreen {{ background: #1f2a30; }}
#lockCard {{ background: #ffffff; border-radius: 10px; }}
#lockTitle {{ font-size: 14pt; font-weight: 600; color: #1f2a30; }}
QStatusBar {{ background: #eceeea; color: #374151; }}
#recordingCard {{ background: #ffffff; border: 1px solid #e3e5e0; border-radius: 10px; }}
#recTimer {{
    font-size: 40pt; color: #1f2a30;
    font-family: "DejaVu Sans Mono", "Menlo", "Consolas", monospace;
}}
#recState {{ font-weight: 600; color: #6b7280; font-size: 11pt; }}
#recState[tone="recording"] {{ color: {RECORD}; }}
#recState[tone="paused"] {{ color: #a16207; }}
#recWarning {{ font-weight: 600; }}
QLabel[tone="warning"] {{ color: #b45309; }}
#recInfo {{ color: #4b5563; }}
QPushButton#record {{ background: {RECORD}; color: #ffffff; border-color: {RECORD}; }}
QPushButton#record:hover {{ background: #a82020; }}
QPushButton#record:disabled {{ background: #eec5c1; border-color: #eec5c1; color: #ffffff; }}
#lockRecording {{ color: {RECORD}; font-weight: 600; }}
#recordingHint {{ color: {RECORD}; font-weight: 600; padding: 0 8px; }}
QLineEdit#jotting {{ padding: 8px 10px; font-size: 11pt; }}
#jottingsList::item {{ padding: 4px 8px; border-bottom: 1px solid #eef0ec; }}
#playerTime {{ color: #374151; min-width: 96px; qproperty-alignment: AlignCenter; }}
QSlider::groove:horizontal {{ height: 6px; background: #e1e4de; border-radius: 3px; }}
QSlider::sub-page:horizontal {{ background: #9cc5c7; border-radius: 3px; }}
QSlider::handle:horizontal {{
    background: #ffffff; border: 1px solid {ACCENT}; width: 14px; margin: -5px 0;
    border-radius: 7px;
}}
QSplitter::handle {{ background: transparent; }}
#jobStatus {{ color: #374151; }}
QLabel#jobStatus[tone="error"] {{ color: #b3261e; }}
QProgressBar#jobProgress {{ background: #e1e4de; border: none; border-radius: 4px; }}
QProgressBar#jobProgress::chunk {{ background: {ACCENT}; border-radius: 4px; }}
QTextEdit#segmentEditor {{ background: #fffdf4; selection-background-color: #cfe3e4; }}
#speakersList::item {{ padding: 4px 6px; }}
#exportWarningText {{ color: #92400e; font-weight: 600; }}
"""


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Highlight, QColor("#cfe3e4"))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#111827"))
    app.setPalette(palette)
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)
