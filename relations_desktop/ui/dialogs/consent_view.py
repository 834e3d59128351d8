"""A consent record's certificate, shown from the PDF kept in the store.

The pages are rendered in memory (``render_pages``) and shown as images: nothing is
written to disk unless the researcher asks for "Save PDF…", and then only where they
choose, with a warning that the copy is not encrypted; the save is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from relations_desktop.core.consent.certificate import render_pages
from relations_desktop.core.consent.records import ConsentRecordView
from relations_desktop.core.errors import RelationsError
from relations_desktop.core.fsutil import atomic_write
from relations_desktop.core.services import StoreService
from relations_desktop.ui.labels import format_bytes, format_clock, format_date
from relations_desktop.ui.tasks import TaskRunner, describe
from relations_desktop.ui.widgets.message import MessageLabel

SaveChooser = Callable[[QWidget, str], str | None]
PAGE_SCALE = 1.25  # an A4 page about 740 pixels wide
SAVE_WARNING = (
    "A saved copy is not encrypted, and it may show the participant's real name. Save it "
    "only where the study's data protection plan allows."
)
PARTIES = {
    "self": "their own consent",
    "parent": "a parent's or carer's consent",
    "assent": "the child's own assent",
}


def choose_pdf_file(parent: QWidget, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(
        parent, "Save the consent certificate (not encrypted)", suggested, "PDF (*.pdf)"
    )
    if not path:
        return None
    return path if path.lower().endswith(".pdf") else path + ".pdf"


@dataclass(frozen=True)
class Certificate:
    pdf: bytes
    pages: list[bytes]  # PNG per page
    signature_png: bytes | None
    scan_size: int | None


def load_certificate(service: StoreService, record: ConsentRecordView) -> Certificate:
    """(runs on the task runner)"""
    pdf = service.consent.certificate(record.id)
    signature = service.consent.signature_image(record.id) if record.has_signature else None
    scan_size = len(service.consent.scan(record.id)[1]) if record.has_scan else None
    return Certificate(pdf, render_pages(pdf, scale=PAGE_SCALE), signature, scan_size)


def save_certificate(service: StoreService, record_id: str, pdf: bytes, path: Path) -> Path:
    """(runs on the task runner) Write the PDF where the user chose, then audit it."""
    try:
        atomic_write(path, pdf)
    except OSError as exc:
        raise RelationsError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    service.audit(
        "consent_certificate_saved", "consent_record", record_id, path=str(path),
        unencrypted=True,
    )  # fmt: skip
    return path


def describe_record(record: ConsentRecordView) -> str:
    lines = [
        f"{record.form_label}",
        f"{PARTIES.get(record.party, record.party).capitalize()}"
        + (f", given by {record.given_by}" if record.given_by else "")
        + f", on {format_date(record.given_on)}.",
    ]
    if record.method == "signed":
        lines.append("Signed on screen." if record.has_signature else "Signed on screen "
                     "(the signature was deleted with a withdrawal).")  # fmt: skip
    elif record.method == "paper" and record.has_scan:
        lines.append(f"Paper form; scan: {record.scan_name or 'kept with the record'}.")
    elif record.method == "paper":
        lines.append("Paper form (the scan was deleted with a withdrawal).")
    elif record.method == "verbal":
        at = format_clock(record.recording_offset or 0.0)
        lines.append(f"Given verbally, at {at} in a recording of the session.")
    return "\n".join(lines)


class ConsentCertificateDialog(QDialog):
    def __init__(
        self,
        service: StoreService,
        runner: TaskRunner,
        record: ConsentRecordView,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self.record = record
        self.certificate: Certificate | None = None
        self.choose_file: SaveChooser = choose_pdf_file
        self.setWindowTitle("Consent certificate")
        self.setMinimumSize(840, 760)

        self.details = QLabel(describe_record(record), self)
        self.details.setWordWrap(True)
        self.details.setAccessibleName("Consent record")
        self.evidence = QLabel(self)
        self.evidence.setAccessibleName("Signature or scan")
        self.evidence.setWordWrap(True)
        self.pages_box = QWidget(self)
        self.pages_layout = QVBoxLayout(self.pages_box)
        self.pages_layout.setSpacing(12)
        self.loading = QLabel("Loading the certificate…", self.pages_box)
        self.pages_layout.addWidget(self.loading)
        self.page_labels: list[QLabel] = []
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.pages_box)
        scroll.setAccessibleName("Certificate pages")
        self.message = MessageLabel(self)
        warning = QLabel(SAVE_WARNING, self)
        warning.setObjectName("hint")
        warning.setWordWrap(True)
        self.save_button = QPushButton("Save PDF…", self)
        self.save_button.setToolTip(SAVE_WARNING)
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save_pdf)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.addWidget(self.details)
        layout.addWidget(self.evidence)
        layout.addWidget(scroll, 1)
        layout.addWidget(warning)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

        if not record.has_certificate:
            self.loading.setText("This record's certificate was deleted with the withdrawal.")
        else:
            self.runner.submit(
                load_certificate, service, record, on_result=self._show, on_error=self._failed
            )

    def _show(self, certificate: Certificate) -> None:
        self.certificate = certificate
        self.loading.hide()
        for number, png in enumerate(certificate.pages, start=1):
            label = QLabel(self.pages_box)
            label.setPixmap(QPixmap.fromImage(QImage.fromData(png)))
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            label.setAccessibleName(f"Page {number} of {len(certificate.pages)}")
            label.setStyleSheet("border: 1px solid #d9dcd6; background: #ffffff;")
            self.pages_layout.addWidget(label)
            self.page_labels.append(label)
        self.pages_layout.addStretch(1)
        if certificate.signature_png is not None:
            self.evidence.setText("Signature drawn on screen (shown on the certificate).")
        elif certificate.scan_size is not None:
            name = self.record.scan_name or "the scan"
            self.evidence.setText(
                f"Scan of the paper form kept with the record: {name} "
                f"({format_bytes(certificate.scan_size)})."
            )
        self.save_button.setEnabled(True)

    def _failed(self, error: BaseException) -> None:
        self.loading.setText("The certificate could not be shown.")
        self.message.show_error(describe(error))

    def suggested_name(self) -> str:
        return f"consent-{self.record.given_on.isoformat()}-{self.record.id[:8]}.pdf"

    def save_pdf(self) -> None:
        if self.certificate is None:
            return
        chosen = self.choose_file(self, self.suggested_name())
        if chosen:
            self.save_to(Path(chosen))

    def save_to(self, path: Path) -> None:
        if self.certificate is None:
            return
        self.save_button.setEnabled(False)
        self.runner.submit(
            save_certificate,
            self.service,
            self.record.id,
            self.certificate.pdf,
            path,
            on_result=self._saved,
            on_error=self._save_failed,
        )

    def _saved(self, path: Path) -> None:
        self.save_button.setEnabled(True)
        self.message.show_info(f"Saved to {path} (not encrypted).")

    def _save_failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.message.show_error(describe(error))
