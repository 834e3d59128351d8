"""The look: a calm light theme with a dark sidebar (Fusion style plus a stylesheet)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QAbstractItemView, QApplication

ACCENT = "#2f6f73"
RECORD = "#c62828"
FOCUS = "#1d4ed8"  # the keyboard focus ring: a blue that stands out from the teal accent
# Visible keyboard focus (WCAG 2.4.7): a 2 px ring on whatever has the focus (near-black on
# the filled buttons, where blue would not stand out). Fields and buttons lose 1 px of
# padding while focused, so nothing moves when the ring appears.
FOCUS_STYLESHEET = f"""
QLineEdit:focus, QComboBox:focus, QDateEdit:focus, QSpinBox:focus {{
    border: 2px solid {FOCUS}; padding: 3px 5px;
}}
QPlainTextEdit:focus, QTextEdit:focus, QTableView:focus, QListWidget:focus,
QListView:focus, QTreeView:focus {{ border: 2px solid {FOCUS}; }}
QPushButton:focus, QToolButton:focus {{ border: 2px solid {FOCUS}; padding: 4px 13px; }}
QPushButton[hasMenu="true"]:focus {{ padding-right: 23px; }}
QPushButton#primary:focus, QPushButton#record:focus {{ border-color: #111827; }}
QCheckBox, QRadioButton {{ border: 2px solid transparent; border-radius: 4px; padding: 1px 3px; }}
QCheckBox:focus, QRadioButton:focus {{ border-color: {FOCUS}; }}
QSlider:focus {{ border: 2px solid {FOCUS}; border-radius: 4px; }}
QTabBar::tab:focus {{ border: 2px solid {FOCUS}; }}
#nav:focus {{ border: 2px solid #9cc5c7; border-radius: 6px; }}
"""
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
{FOCUS_STYLESHEET}"""


# The stylesheet paints light backgrounds, so the palette must be light too: taking
# text colours from a dark desktop theme would give light grey on white.
_PALETTE = {
    QPalette.ColorRole.Window: "#f7f7f5",
    QPalette.ColorRole.WindowText: "#1f2933",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#fafaf8",
    QPalette.ColorRole.Text: "#111827",
    QPalette.ColorRole.Button: "#ffffff",
    QPalette.ColorRole.ButtonText: "#111827",
    QPalette.ColorRole.ToolTipBase: "#ffffff",
    QPalette.ColorRole.ToolTipText: "#111827",
    QPalette.ColorRole.PlaceholderText: "#6b7280",
    QPalette.ColorRole.BrightText: "#ffffff",
    QPalette.ColorRole.Light: "#ffffff",
    QPalette.ColorRole.Midlight: "#f0f1ee",
    QPalette.ColorRole.Mid: "#d9dcd6",
    QPalette.ColorRole.Dark: "#9ca3af",
    QPalette.ColorRole.Shadow: "#6b7280",
    QPalette.ColorRole.Highlight: "#cfe3e4",
    QPalette.ColorRole.HighlightedText: "#111827",
    QPalette.ColorRole.Link: "#2f6f73",
}
_DISABLED = (
    QPalette.ColorRole.WindowText,
    QPalette.ColorRole.Text,
    QPalette.ColorRole.ButtonText,
)


class _TablesLetTabThrough(QObject):
    """Tab leaves every table and list (the arrow keys move inside them); Qt's default
    keeps Tab moving between cells, so keyboard users could not get out."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if event.type() == QEvent.Type.Polish and isinstance(watched, QAbstractItemView):
            watched.setTabKeyNavigation(False)
        return False


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in _PALETTE.items():
        palette.setColor(role, QColor(colour))
    for role in _DISABLED:
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#9ca3af"))
    app.setPalette(palette)
    if not any(isinstance(f, _TablesLetTabThrough) for f in app.children()):
        app.installEventFilter(_TablesLetTabThrough(app))
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
    app.setFont(font)
    app.setStyleSheet(STYLESHEET)
