"""First run: a welcome, your store, your team, and a sample session to try.

A stack of pages (``first_run_pages.py``) under Back / Next / Cancel, opened without
blocking like every dialog of the start-up. Accepted once the store exists (it is then in
:attr:`FirstRunWizard.service`); cancelled before that, nothing is left behind. Once the
store is made there is no way back to the earlier pages, and closing the wizard goes on to
the main window: the team and the sample can be done later (Team page, File menu).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.recovery import TeamStart, start_team
from relations_desktop.core.sample import SampleResult, add_sample_session
from relations_desktop.core.services import StoreService
from relations_desktop.core.team import RosterImport
from relations_desktop.core.vault import parse_recipient
from relations_desktop.ui.dialogs.first_run_pages import (
    JOIN,
    START,
    PathChooser,
    Printer,
    RecoveryPage,
    SamplePage,
    StorePage,
    TeamChoicePage,
    WelcomePage,
    choose_recovery_file,
    print_document,
)
from relations_desktop.ui.dialogs.team_member import (
    RosterImportJob,
    choose_roster_to_open,
    primary_button,
)
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import set_busy

WELCOME, STORE, TEAM, RECOVERY, SAMPLE = range(5)
TYPED_KEY = (
    "You typed a team recovery key on the previous page, which means your team already "
    "has one. Starting a team makes a new one: go back and clear that field, or choose "
    "Join a team."
)


@dataclass(frozen=True)
class StoreRequest:
    """What the store page asked for (the passphrase is kept only until the store is made)."""

    store_dir: Path
    passphrase: str
    researcher_name: str
    project_name: str
    recovery_recipient: str | None

    def create(self) -> StoreService:
        """(runs on the task runner) Make the store."""
        return StoreService.create(
            self.store_dir,
            self.passphrase,
            researcher_name=self.researcher_name,
            project_name=self.project_name,
            recovery_recipient=self.recovery_recipient,
        )

    def start_team(self, identity_path: Path) -> TeamStart:
        """(runs on the task runner) Make the store as the PI of a new team."""
        return start_team(
            self.store_dir,
            self.passphrase,
            identity_path,
            researcher_name=self.researcher_name,
            project_name=self.project_name,
        )


def check_recipient(text: str) -> str | None:
    """(runs on the task runner) The typed recovery key, checked, or None when empty."""
    return parse_recipient(text) if text.strip() else None


class FirstRunWizard(QDialog):
    def __init__(
        self,
        store_dir: Path,
        runner: TaskRunner,
        parent: QWidget | None = None,
        *,
        choose_roster: PathChooser = choose_roster_to_open,
        choose_recovery: PathChooser = choose_recovery_file,
        printer: Printer = print_document,
    ) -> None:
        super().__init__(parent)
        self.store_dir = store_dir
        self.runner = runner
        self.service: StoreService | None = None
        self.request: StoreRequest | None = None  # holds the passphrase until the store is made
        self.import_job: RosterImportJob | None = None
        self.joined: RosterImport | None = None
        self.started: TeamStart | None = None
        self.sample: SampleResult | None = None
        self.setWindowTitle("Relations Desktop — create your store")
        self.setMinimumSize(640, 560)

        self.welcome = WelcomePage(store_dir, self)
        self.store = StorePage(self)
        self.team = TeamChoicePage(
            self, choose_roster=choose_roster, choose_recovery=choose_recovery
        )
        self.recovery = RecoveryPage(self, printer=printer)
        self.sample_page = SamplePage(self)
        self.pages = QStackedWidget(self)
        for page in (self.welcome, self.store, self.team, self.recovery, self.sample_page):
            self.pages.addWidget(page)
        self.team.group.buttonToggled.connect(lambda *_: self._update_buttons())
        self.recovery.understood.toggled.connect(lambda _on: self._update_buttons())

        self.back_button = QPushButton("Back", self)
        self.back_button.setAccessibleName("Back")
        self.back_button.setAutoDefault(False)
        self.back_button.clicked.connect(self.back)
        self.next_button = primary_button(self, "Next")
        self.next_button.clicked.connect(self.next)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()  # in the order Tab takes them
        buttons.addStretch(1)
        for button in (self.back_button, self.next_button, self.cancel_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 18)
        layout.setSpacing(12)
        layout.addWidget(self.pages, 1)
        layout.addLayout(buttons)
        self.go(WELCOME)

    # -------------------------------------------------------------- navigation
    @property
    def page(self) -> int:
        return self.pages.currentIndex()

    def go(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        self._update_buttons()
        focus = {
            WELCOME: self.next_button,
            STORE: self.store.researcher,
            TEAM: self.team.group.checkedButton(),
            RECOVERY: self.recovery.understood,
            SAMPLE: self.sample_page.add_sample,
        }.get(page)
        if focus is not None:
            focus.setFocus()

    def _update_buttons(self) -> None:
        page, made = self.page, self.service is not None
        self.back_button.setEnabled(page in (STORE, TEAM) and not made)
        self.cancel_button.setVisible(not made)
        text = "Next"
        if page == TEAM and not made:
            text = "Create store"
        elif page == TEAM and self.team.choice == JOIN:
            text = "Import roster"
        elif page == SAMPLE:
            text = "Start using Relations"
        self.next_button.setText(text)
        self.next_button.setAccessibleName(text)
        self.next_button.setEnabled(page != RECOVERY or self.recovery.understood.isChecked())

    def back(self) -> None:
        if self.page in (STORE, TEAM) and self.service is None:
            self.go(self.page - 1)

    def next(self) -> None:
        actions: dict[int, Callable[[], None]] = {
            WELCOME: lambda: self.go(STORE),
            STORE: self._check_store,
            TEAM: self._team_chosen,
            RECOVERY: lambda: self.go(SAMPLE),
            SAMPLE: self._finish,
        }
        actions[self.page]()

    def reject(self) -> None:
        """Before the store exists: cancel, nothing made. After: on to the main window."""
        if self.service is not None:
            self.accept()
        else:
            super().reject()

    # ------------------------------------------------------------------ store
    def _check_store(self) -> None:
        page = self.store
        problem = page.passphrases.problem()
        if problem:
            page.message.show_error(problem)
            page.passphrases.first.setFocus()
            return
        page.message.clear_message()
        self.runner.submit(
            check_recipient,
            page.recovery.text(),
            on_result=self._store_checked,
            on_error=lambda error: self._store_refused(describe(error)),
            owner=self,
        )

    def _store_checked(self, recipient: str | None) -> None:
        name, project = self.store.names()
        passphrase = self.store.passphrases.passphrase()
        self.request = StoreRequest(self.store_dir, passphrase, name, project, recipient)
        self.go(TEAM)

    def _store_refused(self, message: str) -> None:
        self.store.message.show_error(message)
        self.store.recovery.setFocus()

    def _store_made(self, service: StoreService) -> None:
        self.service = service
        self.request = None
        self.store.passphrases.clear()
        self.team.store_made()
        self._update_buttons()

    # ------------------------------------------------------------------- team
    def _team_chosen(self) -> None:
        page = self.team
        page.message.clear_message()
        request = self.request
        if page.choice == START and request is not None:
            path = page.identity_path.text().strip()
            if request.recovery_recipient:
                page.message.show_error(TYPED_KEY)
                return
            if not path:
                page.message.show_error(
                    "Choose where to save the team recovery identity (a USB stick is best)."
                )
                page.identity_path.setFocus()
                return
            self._work(page, "Making the recovery identity and your store…")
            self.runner.submit(
                request.start_team,
                Path(path).expanduser(),
                on_result=self._team_started,
                on_error=self._team_failed,
                owner=self,
            )
            return
        roster = page.roster.text().strip()
        if page.choice == JOIN and not roster:
            page.message.show_error("Choose the roster file your principal investigator sent.")
            page.roster.setFocus()
            return
        if self.service is not None or request is None:
            self._after_store(roster)
            return
        self._work(page, "Making your store…")
        self.runner.submit(
            request.create,
            on_result=lambda service: self._created(service, roster),
            on_error=self._team_failed,
            owner=self,
        )

    def _work(self, page: TeamChoicePage | SamplePage, text: str) -> None:
        page.message.show_info(text)
        set_busy(self, True)

    def _created(self, service: StoreService, roster: str) -> None:
        set_busy(self, False)
        self._store_made(service)
        self.team.message.show_info("Your store is made.")
        self._after_store(roster)

    def _after_store(self, roster: str) -> None:
        if self.team.choice != JOIN:
            self.go(SAMPLE)
            return
        assert self.service is not None
        self.team.message.show_info("Checking the roster…")
        self.next_button.setEnabled(False)
        job = RosterImportJob(self.service, self.runner, Path(roster).expanduser(), self)
        job.imported.connect(self._imported)
        job.failed.connect(self._import_failed)
        job.declined.connect(
            lambda: self._import_failed(
                "The roster was not imported: its signer's key was not confirmed. Ask "
                "your principal investigator to read it to you, or choose Later."
            )
        )
        self.import_job = job

    def _imported(self, done: RosterImport) -> None:
        self.joined = done
        self.sample_page.message.show_info(
            f"You joined the team: the roster signed by {done.signer_name} "
            f"(key ID {done.signer_key_id}), {done.members} members."
        )
        self.go(SAMPLE)

    def _import_failed(self, message: str) -> None:
        self._update_buttons()
        self.team.message.show_error(f"{message} Your store is made; nothing else changed.")

    def _team_started(self, started: TeamStart) -> None:
        set_busy(self, False)
        self.started = started
        self._store_made(started.service)
        self.recovery.show_identity(started.identity)
        if started.roster_problem:
            self.recovery.message.show_error(
                f"You could not be put on the roster: {started.roster_problem} "
                "Add yourself on the Team page (Ctrl+9)."
            )
        self.go(RECOVERY)

    def _team_failed(self, error: BaseException) -> None:
        set_busy(self, False)
        self.team.message.show_error(describe(error))

    # ----------------------------------------------------------------- sample
    def _finish(self) -> None:
        if self.service is None:
            return
        page = self.sample_page
        if not page.add_sample.isChecked():
            self.accept()
            return
        page.progress.show()
        self._work(page, "Adding the sample session…")
        self.runner.submit(
            add_sample_session,
            self.service,
            on_result=self._sample_added,
            on_error=self._sample_failed,
            owner=self,
        )

    def _sample_added(self, result: SampleResult) -> None:
        set_busy(self, False)
        self.sample = result
        self.accept()

    def _sample_failed(self, error: BaseException) -> None:
        set_busy(self, False)
        self.sample_page.progress.hide()
        self.sample_page.message.show_error(
            f"{describe(error)} You can go on without it: untick the box and press "
            "Start using Relations."
        )


def confirm_remove_sample(parent: QWidget, remove: Callable[[], None]) -> QMessageBox:
    """Ask before File → Remove sample data; ``remove`` runs on Remove."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Remove sample data",
        "Remove the sample data? The sample session, its recording, transcript and "
        "jottings, and the sample participant with their consent are deleted. Nothing of "
        "your own is touched.",
        parent=parent,
    )
    box.setAccessibleName("Remove sample data")
    remove_button = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
    remove_button.setAccessibleName("Remove")
    keep = box.addButton("Keep", QMessageBox.ButtonRole.RejectRole)
    keep.setAccessibleName("Keep")
    box.setDefaultButton(keep)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.buttonClicked.connect(lambda clicked: remove() if clicked is remove_button else None)
    box.open()
    return box
