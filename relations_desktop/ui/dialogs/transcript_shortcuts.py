"""Shortcuts…: choose the transcription keys (stored as the ``transcript_shortcuts`` setting)."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.transcript_keys import CONFIGURABLE, SETTING, clashes, defaults
from relations_desktop.ui.widgets.message import MessageLabel


class ShortcutsDialog(QDialog):
    saved = Signal(dict)  # action → keys

    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        mapping: Mapping[str, str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Transcription shortcuts")
        self.service = service
        self.runner = runner
        hint = QLabel(
            "Click a field and press the new key. These keys work while the transcript "
            "editor has the focus. Split (Alt+S), merge (Alt+M), undo (Ctrl+Z), redo "
            "(Ctrl+Shift+Z) and speakers (Ctrl+1…9) stay as they are.",
            self,
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        form = QFormLayout()
        self.edits: dict[str, QKeySequenceEdit] = {}
        for action, (label, _default) in CONFIGURABLE.items():
            edit = QKeySequenceEdit(QKeySequence(mapping.get(action, "")), self)
            edit.setMaximumSequenceLength(1)
            edit.setAccessibleName(label)
            inner = edit.findChild(QLineEdit)  # the field that takes the focus
            if inner is not None:
                inner.setAccessibleName(label)
            form.addRow(label, edit)
            self.edits[action] = edit
        self.message = MessageLabel(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.defaults_button = QPushButton("Restore defaults", self)
        buttons.addButton(self.defaults_button, QDialogButtonBox.ButtonRole.ResetRole)
        self.defaults_button.clicked.connect(self.restore_defaults)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(440, self.sizeHint().height())

    def mapping(self) -> dict[str, str]:
        return {
            action: edit.keySequence().toString(QKeySequence.SequenceFormat.PortableText)
            for action, edit in self.edits.items()
        }

    def restore_defaults(self) -> None:
        for action, keys in defaults().items():
            self.edits[action].setKeySequence(QKeySequence(keys))

    def save(self) -> None:
        mapping = self.mapping()
        problems = clashes(mapping)
        if problems:
            self.message.show_error(" ".join(problems))
            return
        self.save_button.setEnabled(False)
        self.runner.submit(
            self.service.set_setting,
            SETTING,
            mapping,
            on_result=lambda _r: self._saved(mapping),
            on_error=self._failed,
            owner=self,
        )

    def _saved(self, mapping: dict[str, str]) -> None:
        self.saved.emit(mapping)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.show_error(describe(error))
