"""The pages of the first-run wizard (``first_run.py``), and the work they start.

Welcome → your store (name, project, passphrase, an optional recovery key) → the team
(join with the roster your PI sent, start one as PI, or later) → for a new team, how to
keep its recovery identity safe → an offer to try a sample session. The store is made
when the team page is confirmed, so a PI's store is made with the new team's recovery
recipient already in its vault.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QTextDocument
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.recovery import SUGGESTED_NAME, RecoveryIdentity
from relations_desktop.ui.dialogs.team_member import choose_roster_to_open, key_field
from relations_desktop.ui.widgets.message import MessageLabel
from relations_desktop.ui.widgets.passphrase import PassphrasePair

JOIN, START, LATER = "join", "start", "later"
WELCOME_TEXT = (
    "Everything you record and write stays on this laptop, locked in one encrypted store "
    "that only your passphrase opens. When you send work to your team, it leaves in sealed "
    "bundles that only your team can open, signed so they know it came from you."
)
SAFE_KEEPING = (
    "<ol>"
    "<li><b>Print it, or copy it to a USB stick</b> that is kept locked away, for "
    "example in a locked cabinet at the university.</li>"
    "<li><b>Keep a second copy somewhere else</b>, just as safe, in case one is lost.</li>"
    "<li><b>Never keep it on a laptop that goes into the field</b>, never e-mail it, never "
    "put it in a shared folder. If you saved it on this laptop, delete it here once it is "
    "copied.</li>"
    "<li><b>Whoever holds it can open every store of your team</b> made with the recovery "
    "key below. Guard it like a master key.</li>"
    "</ol>"
)

PathChooser = Callable[[QWidget], str | None]
Printer = Callable[[QWidget, QTextDocument], None]


def choose_recovery_file(parent: QWidget) -> str | None:
    suggested = str(Path.home() / SUGGESTED_NAME)
    path, _ = QFileDialog.getSaveFileName(
        parent, "Save the team recovery identity", suggested, "Text file (*.txt)"
    )
    return path or None


def print_document(parent: QWidget, document: QTextDocument) -> None:
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter

    printer = QPrinter()
    dialog = QPrintDialog(printer, parent)
    if dialog.exec() == QPrintDialog.DialogCode.Accepted:
        document.print_(printer)


# ------------------------------------------------------------------ helpers
def _title(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName("viewTitle")
    label.setWordWrap(True)
    return label


def _text(text: str, parent: QWidget, name: str = "", hint: bool = False) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    if hint:
        label.setObjectName("hint")
    if name:
        label.setAccessibleName(name)
    return label


def _page_layout(page: QWidget) -> QVBoxLayout:
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(10)
    return layout


def _path_row(
    parent: QWidget, field: QLineEdit, button_name: str, choose: Callable[[], None]
) -> QHBoxLayout:
    button = QPushButton("Choose…", parent)
    button.setAccessibleName(button_name)
    button.setAutoDefault(False)
    button.clicked.connect(choose)
    row = QHBoxLayout()
    row.addWidget(field, 1)
    row.addWidget(button)
    return row


# -------------------------------------------------------------------- pages
class WelcomePage(QWidget):
    def __init__(self, store_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = _page_layout(self)
        layout.addWidget(_title("Welcome to Relations Desktop", self))
        self.text = _text(WELCOME_TEXT, self, "What the app keeps, and how")
        layout.addWidget(self.text)
        layout.addWidget(
            _text(
                "The next few steps make your store, connect you with your team, and "
                "offer a sample session to try things out.",
                self,
            )
        )
        layout.addWidget(_text(f"Your store will be kept in: {store_dir}", self, hint=True))
        layout.addStretch(1)


class StorePage(QWidget):
    """Your name, the project, the passphrase (twice, with its strength) and the
    optional recovery key your team gave you."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = _page_layout(self)
        layout.addWidget(_title("Your store", self))
        layout.addWidget(
            _text(
                "Choose a passphrase you will remember: without it, or your team's "
                "recovery identity, nobody — not even you — can open the store.",
                self,
            )
        )
        self.researcher = QLineEdit(self)
        self.researcher.setAccessibleName("Your name")
        self.researcher.setPlaceholderText("as your team knows you")
        self.project = QLineEdit("Fieldwork", self)
        self.project.setAccessibleName("Project name")
        self.passphrases = PassphrasePair(parent=self)
        self.recovery = key_field(self, "Team recovery key", "age1… (optional)")
        form = QFormLayout()
        form.addRow("Your name:", self.researcher)
        form.addRow("Project:", self.project)
        self.passphrases.add_rows(form)
        form.addRow("Team recovery key:", self.recovery)
        form.addRow(
            "",
            _text(
                "Optional. If your team gave you one, paste it: the team can then reopen "
                "this store for you if you forget your passphrase.",
                self,
                hint=True,
            ),
        )
        layout.addLayout(form)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        layout.addStretch(1)

    def names(self) -> tuple[str, str]:
        """The researcher's and the project's names, with their defaults."""
        return (
            self.researcher.text().strip() or "Researcher",
            self.project.text().strip() or "Fieldwork",
        )


class TeamChoicePage(QWidget):
    """Join (the roster file, checked with the PI's key), start (as PI, with the
    recovery identity) or later."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        choose_roster: PathChooser = choose_roster_to_open,
        choose_recovery: PathChooser = choose_recovery_file,
    ) -> None:
        super().__init__(parent)
        self.choose_roster, self.choose_recovery = choose_roster, choose_recovery
        layout = _page_layout(self)
        layout.addWidget(_title("Your team", self))
        layout.addWidget(
            _text(
                "Bundles you send are encrypted to everyone on your team's roster. "
                "You can do this now or later, from the Team page (Ctrl+9).",
                self,
            )
        )
        self.join = QRadioButton("Join a team", self)
        self.join.setAccessibleName("Join a team")
        self.roster = QLineEdit(self)
        self.roster.setAccessibleName("Roster file")
        self.roster.setPlaceholderText("roster.json, from your principal investigator")
        self.join_box = QWidget(self)
        join_layout = QVBoxLayout(self.join_box)
        join_layout.setContentsMargins(28, 0, 0, 6)
        join_layout.addWidget(
            _text(
                "Your principal investigator (PI) sends you two files, roster.json and "
                "roster.json.minisig: keep them in the same folder and choose the first. "
                "You will then be asked for the PI's signing key, read to you in person or "
                "by phone, to check the roster really comes from them.",
                self.join_box,
                hint=True,
            )
        )
        join_layout.addLayout(
            _path_row(self.join_box, self.roster, "Choose the roster file", self._pick_roster)
        )

        self.start = QRadioButton("Start a team, as its principal investigator", self)
        self.start.setAccessibleName("Start a team as principal investigator")
        self.identity_path = QLineEdit(self)
        self.identity_path.setAccessibleName("Where to save the recovery identity")
        self.identity_path.setPlaceholderText(f"for example on a USB stick: …/{SUGGESTED_NAME}")
        self.start_box = QWidget(self)
        start_layout = QVBoxLayout(self.start_box)
        start_layout.setContentsMargins(28, 0, 0, 6)
        start_layout.addWidget(
            _text(
                "You go on the roster as PI. The app also makes your team's recovery "
                "identity: the one key that can reopen any team store whose passphrase "
                "is forgotten. Save it straight onto a USB stick if you can — never "
                "inside the store folder.",
                self.start_box,
                hint=True,
            )
        )
        start_layout.addLayout(
            _path_row(
                self.start_box,
                self.identity_path,
                "Choose where to save the recovery identity",
                self._pick_identity,
            )
        )
        self.later = QRadioButton("Later", self)
        self.later.setAccessibleName("Set up the team later")
        self.group = QButtonGroup(self)
        for button in (self.join, self.start, self.later):
            self.group.addButton(button)
        self.later.setChecked(True)
        self.group.buttonToggled.connect(lambda *_: self._show_boxes())
        layout.addWidget(self.join)
        layout.addWidget(self.join_box)
        layout.addWidget(self.start)
        layout.addWidget(self.start_box)
        layout.addWidget(self.later)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self._show_boxes()

    @property
    def choice(self) -> str:
        if self.join.isChecked():
            return JOIN
        return START if self.start.isChecked() else LATER

    def _show_boxes(self) -> None:
        self.join_box.setVisible(self.join.isChecked())
        self.start_box.setVisible(self.start.isChecked())
        self.message.clear_message()

    def _pick_roster(self) -> None:
        if path := self.choose_roster(self):
            self.roster.setText(path)

    def _pick_identity(self) -> None:
        if path := self.choose_recovery(self):
            self.identity_path.setText(path)

    def store_made(self) -> None:
        """The store exists now: a new team (whose recovery key it would need to have
        been made with) can no longer be started here."""
        self.start.setEnabled(False)
        self.start.setToolTip("Your store is made; add yourself as PI on the Team page.")


class RecoveryPage(QWidget):
    """Where the new team's recovery identity is, how to keep it, its public key."""

    def __init__(self, parent: QWidget | None = None, *, printer: Printer = print_document):
        super().__init__(parent)
        self.printer = printer
        self.identity: RecoveryIdentity | None = None
        layout = _page_layout(self)
        layout.addWidget(_title("Keep the recovery identity safe", self))
        self.where = _text("", self, "Where the recovery identity was saved")
        layout.addWidget(self.where)
        self.steps = _text(SAFE_KEEPING, self, "How to keep it safe")
        layout.addWidget(self.steps)
        self.recipient = key_field(self, "Team recovery key", "")
        self.recipient.setReadOnly(True)
        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setAccessibleName("Copy the team recovery key")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self._copy)
        self.print_button = QPushButton("Print the identity…", self)
        self.print_button.setAccessibleName("Print the recovery identity")
        self.print_button.setAutoDefault(False)
        self.print_button.clicked.connect(self._print)
        row = QHBoxLayout()
        row.addWidget(self.recipient, 1)
        row.addWidget(self.copy_button)
        layout.addWidget(
            _text(
                "Give every researcher on your team this recovery key (it is public, not "
                "secret): they paste it when they make their store.",
                self,
            )
        )
        layout.addLayout(row)
        print_row = QHBoxLayout()
        print_row.addWidget(self.print_button)
        print_row.addStretch(1)
        layout.addLayout(print_row)
        self.understood = QCheckBox(
            "I will print it or move it to a USB stick kept locked away, not on this laptop",
            self,
        )
        self.understood.setAccessibleName("I will keep the recovery identity safe")
        layout.addWidget(self.understood)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        layout.addStretch(1)

    def show_identity(self, identity: RecoveryIdentity) -> None:
        self.identity = identity
        where = f"<b>{_escape(str(identity.path))}</b>"
        if identity.owner_only is False:
            where += (
                ". That drive cannot stop other users of a computer from reading the file: "
                "keep the drive itself locked away"
            )
        elif identity.owner_only:
            where += ", readable only by you"
        self.where.setText(f"Your team's recovery identity was saved in {where}.")
        self.recipient.setText(identity.recipient)
        self.recipient.setCursorPosition(0)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.recipient.text())
        self.message.show_info("The team recovery key was copied to the clipboard.")

    def document(self) -> QTextDocument:
        """What Print puts on paper: the instructions and the identity file's text."""
        document = QTextDocument(self)
        if self.identity is None:
            return document
        try:
            secret = self.identity.path.read_text(encoding="ascii")
        except OSError as exc:
            self.message.show_error(f"The identity file cannot be read: {exc.strerror}.")
            return document
        document.setHtml(
            "<h2>Relations Desktop — team recovery identity</h2>"
            f"{SAFE_KEEPING}<pre>{_escape(secret)}</pre>"
        )
        return document

    def _print(self) -> None:
        document = self.document()
        if not document.isEmpty():
            self.printer(self, document)


class SamplePage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = _page_layout(self)
        layout.addWidget(_title("Try a sample session", self))
        layout.addWidget(
            _text(
                "A made-up home visit to try the app on: a short recording of two "
                "synthetic voices with its transcript, jottings, the sample participant and "
                "their consent. Everything in it is clearly marked as sample data, and "
                "File → Remove sample data takes it all out again in one step.",
                self,
            )
        )
        self.add_sample = QCheckBox("Add the sample session", self)
        self.add_sample.setAccessibleName("Add the sample session")
        self.add_sample.setChecked(True)
        layout.addWidget(self.add_sample)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # busy
        self.progress.setAccessibleName("Adding the sample session")
        self.progress.hide()
        layout.addWidget(self.progress)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        layout.addStretch(1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
