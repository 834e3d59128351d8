"""Search every fieldnote and transcript (full text, inside the encrypted store).

Filters: what to search (notes, transcripts or both), session type, site, participant
present, and a date range. They stay set while the view lives (not across a lock);
Enter in the query or in any filter runs the search; "Clear filters" resets them all.
"""

from __future__ import annotations

import html
from datetime import date

from PySide6.QtCore import QDate, QEvent, QModelIndex, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.records import ParticipantRecord, SearchHit
from relations_desktop.core.register import SiteRecord
from relations_desktop.core.search import SearchFilters
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import ENCOUNTER_TYPES, encounter_type_label, format_date
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.html_delegate import HTML_ROLE, HtmlDelegate

HIT_ROLE = Qt.ItemDataRole.UserRole + 2
MAX_RESULTS = 200
MARK_STYLE = "background-color:#fde68a;"
KINDS: tuple[tuple[str, str | None], ...] = (
    ("Notes and transcripts", None),
    ("Notes only", "fieldnote"),
    ("Transcripts only", "segment"),
)
TYPES: tuple[tuple[str, str | None], ...] = (
    ("Any session type", None),
    *((label, slug) for slug, label in ENCOUNTER_TYPES),
)
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
FilterChoices = tuple[list[ParticipantRecord], list[SiteRecord]]


def filter_choices(service: StoreService) -> FilterChoices:
    """(worker thread) The participants and sites offered as filters."""
    return service.list_participants(), service.register.list_sites()


def snippet_html(hit: SearchHit) -> str:
    """The snippet as HTML: stored text escaped, matched words in <b>."""
    return "".join(
        f'<b style="{MARK_STYLE}">{html.escape(text)}</b>' if is_match else html.escape(text)
        for text, is_match in hit.snippet_parts
    )


def hit_html(hit: SearchHit) -> str:
    title = html.escape(hit.encounter_title)
    if hit.title:
        title += " — " + html.escape(hit.title)
    what = "Transcript" if hit.kind == "segment" else "Fieldnote"
    meta = html.escape(
        f"{what} · {encounter_type_label(hit.encounter_type)} · {format_date(hit.date)}"
    )
    return (
        f'<div><span style="font-weight:600;">{title}</span>'
        f'&nbsp;&nbsp;<span style="color:#6b7280;">{meta}</span></div>'
        f'<div style="margin-top:4px;">{snippet_html(hit)}</div>'
    )


def _date_filter(parent: QWidget, label: str) -> tuple[QCheckBox, QDateEdit]:
    check = QCheckBox(label, parent)
    edit = QDateEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("d MMM yyyy")
    edit.setDate(QDate.currentDate())
    edit.setEnabled(False)
    edit.setAccessibleName(f"{label} date")
    check.toggled.connect(edit.setEnabled)
    return check, edit


class SearchView(QWidget):
    open_note = Signal(str, str)  # encounter id, note id
    open_segment = Signal(str, str)  # recording id, transcript segment id
    status_message = Signal(str)

    def __init__(self, service: StoreService, runner: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.hits: list[SearchHit] = []

        heading = QLabel("Search", self)
        heading.setObjectName("viewTitle")
        self.query = QLineEdit(self)
        self.query.setAccessibleName("Search query")
        self.query.setPlaceholderText('Words to find, "a phrase", prefix*, OR, NOT')
        self.query.setClearButtonEnabled(True)
        self.query.returnPressed.connect(self.run_search)
        self.search_button = QPushButton("Search", self)
        self.search_button.setObjectName("primary")
        self.search_button.clicked.connect(self.run_search)
        query_row = QHBoxLayout()
        query_row.addWidget(self.query, 1)
        query_row.addWidget(self.search_button)

        self.kind_filter = self._combo("What to search", KINDS)
        self.type_filter = self._combo("Session type filter", TYPES)
        self.site_filter = self._combo("Site filter", (("Any site", None),))
        self.participant_filter = self._combo("Participant filter", (("Any participant", None),))
        self.from_check, self.from_date = _date_filter(self, "From")
        self.to_check, self.to_date = _date_filter(self, "To")
        self.clear_button = QPushButton("Clear filters", self)
        self.clear_button.setAccessibleName("Clear filters")
        self.clear_button.clicked.connect(self.clear_filters)
        # Two rows, and combos that do not grow with their longest entry, so the view
        # fits a small laptop screen (and 200 % scaling).
        filters = QHBoxLayout()
        for combo in (
            self.kind_filter, self.type_filter, self.site_filter, self.participant_filter
        ):  # fmt: skip
            filters.addWidget(combo, 1)
        dates = QHBoxLayout()
        for widget in (self.from_check, self.from_date, self.to_check, self.to_date):
            dates.addWidget(widget)
            widget.installEventFilter(self)
        dates.addStretch(1)
        dates.addWidget(self.clear_button)

        self.count_label = QLabel(self)
        self.count_label.setObjectName("hint")
        self.results = QListWidget(self)
        self.results.setAccessibleName("Search results")
        self.results.setObjectName("searchResults")
        self.results.setItemDelegate(HtmlDelegate(self.results))
        self.results.setResizeMode(QListView.ResizeMode.Adjust)
        self.results.setWordWrap(True)
        self.results.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.results.doubleClicked.connect(self._activated)
        open_key = QShortcut(QKeySequence(Qt.Key.Key_Return), self.results)
        open_key.setContext(Qt.ShortcutContext.WidgetShortcut)
        open_key.activated.connect(lambda: self._activated(self.results.currentIndex()))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addLayout(query_row)
        layout.addLayout(filters)
        layout.addLayout(dates)
        layout.addWidget(self.count_label)
        layout.addWidget(self.results, 1)
        self.count_label.setText("Search every fieldnote and transcript.")

    def _combo(self, name: str, choices: tuple[tuple[str, str | None], ...]) -> QComboBox:
        combo = QComboBox(self)
        combo.setAccessibleName(name)
        for label, value in choices:
            combo.addItem(label, value)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)
        combo.installEventFilter(self)
        return combo

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Enter in a filter runs the search."""
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in ENTER_KEYS
        ):
            self.run_search()
            return True
        return super().eventFilter(watched, event)

    def refresh(self) -> None:
        """Reload the participants and sites offered as filters (keeping the choices)."""
        self.runner.submit(filter_choices, self.service, on_result=self._fill_choices, owner=self)

    def _fill_choices(self, choices: FilterChoices) -> None:
        people, sites = choices
        _refill(self.participant_filter, [(p.label, p.id) for p in people])
        _refill(self.site_filter, [(site.name, site.id) for site in sites])

    def clear_filters(self) -> None:
        """Every filter back to "any"; the search runs again if there is one."""
        for combo in (self.kind_filter, self.type_filter, self.site_filter):
            combo.setCurrentIndex(0)
        self.participant_filter.setCurrentIndex(0)
        self.from_check.setChecked(False)
        self.to_check.setChecked(False)
        if self.query.text().strip():
            self.run_search()

    def focus_query(self) -> None:
        self.query.setFocus()
        self.query.selectAll()

    def filters(self) -> SearchFilters:
        return SearchFilters(
            encounter_type=self.type_filter.currentData(),
            participant_id=self.participant_filter.currentData(),
            site_id=self.site_filter.currentData(),
            kind=self.kind_filter.currentData(),
            date_from=_to_date(self.from_date.date()) if self.from_check.isChecked() else None,
            date_to=_to_date(self.to_date.date()) if self.to_check.isChecked() else None,
        )

    def run_search(self) -> None:
        query = self.query.text().strip()
        if not query:
            self.count_label.setText("Type something to search for.")
            return
        filters = self.filters()
        if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
            self.count_label.setText("The “From” date is after the “To” date.")
            return
        self.count_label.setText("Searching…")
        self.runner.submit(
            self.service.search,
            query,
            filters,
            MAX_RESULTS,
            on_result=self._show,
            on_error=self._failed,
        )

    def _show(self, hits: list[SearchHit]) -> None:
        self.hits = hits
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem(self.results)
            item.setData(HTML_ROLE, hit_html(hit))
            item.setData(HIT_ROLE, hit)
            # Plain text for screen readers; the delegate draws the HTML.
            item.setData(
                Qt.ItemDataRole.AccessibleTextRole, f"{hit.encounter_title}: {hit.snippet('', '')}"
            )
        n = len(hits)
        self.count_label.setText(
            f"{n} result{'s' if n != 1 else ''}. Double-click one to open the note."
            if n
            else "Nothing found."
        )

    def _failed(self, error: BaseException) -> None:
        self.count_label.setText(describe(error))

    def _activated(self, index: QModelIndex) -> None:
        hit = index.data(HIT_ROLE)
        if isinstance(hit, SearchHit):
            if hit.kind == "segment" and hit.recording_id:
                self.open_segment.emit(hit.recording_id, hit.ref_id)
            else:
                self.open_note.emit(hit.encounter_id, hit.ref_id)

    def flush(self) -> None:
        """Nothing is edited here."""

    def wipe(self) -> None:
        self.hits = []
        self.results.clear()
        self.query.clear()
        self.participant_filter.clear()
        self.site_filter.clear()


def _refill(combo: QComboBox, choices: list[tuple[str, str]]) -> None:
    """Replace all but the first ("any") choice, keeping what was chosen if still there."""
    keep = combo.currentData()
    while combo.count() > 1:
        combo.removeItem(combo.count() - 1)
    for label, value in choices:
        combo.addItem(label, value)
    combo.setCurrentIndex(max(0, combo.findData(keep)))


def _to_date(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())
