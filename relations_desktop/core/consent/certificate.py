"""The consent certificate (a PDF made without Qt, so the CLI makes the same one) and
the signature image drawn from the pad's strokes.

Both are made in memory and kept in the encrypted store; nothing is written to disk.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.resources import resource

MAX_STROKES = 500
MAX_POINTS = 50_000
MAX_PAD_SIDE = 10_000


@dataclass(frozen=True)
class Signature:
    """Strokes as drawn on a pad of ``width`` x ``height`` (pixels, origin top left)."""

    width: int
    height: int
    strokes: tuple[tuple[tuple[float, float], ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "width": self.width,
            "height": self.height,
            "strokes": [[[x, y] for x, y in stroke] for stroke in self.strokes],
        }

    @property
    def is_empty(self) -> bool:
        return not any(self.strokes)


def signature_from_json(data: Any) -> Signature:
    """Check strokes from outside (the pad, or a file on the command line)."""
    if not isinstance(data, dict):
        raise InvalidInput("A signature must be an object with width, height and strokes.")
    width: Any = data.get("width")
    height: Any = data.get("height")
    raw = data.get("strokes")
    for name, value in (("width", width), ("height", height)):
        if not _is_int(value) or not 1 <= value <= MAX_PAD_SIDE:
            raise InvalidInput(f"The signature's {name} must be a whole number of pixels.")
    if not isinstance(raw, list) or len(raw) > MAX_STROKES:
        raise InvalidInput(f"The signature's strokes must be a list (at most {MAX_STROKES}).")
    strokes: list[tuple[tuple[float, float], ...]] = []
    total = 0
    for stroke in raw:
        if not isinstance(stroke, list):
            raise InvalidInput("Each signature stroke must be a list of [x, y] points.")
        points: list[tuple[float, float]] = []
        for point in stroke:
            if (
                not isinstance(point, list | tuple)
                or len(point) < 2
                or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in point[:2]
                )
            ):
                raise InvalidInput("Each signature point must be [x, y] in pixels.")
            x, y = float(point[0]), float(point[1])
            if not (-1 <= x <= width + 1 and -1 <= y <= height + 1):
                raise InvalidInput("A signature point lies outside the pad.")
            points.append((x, y))
        total += len(points)
        if total > MAX_POINTS:
            raise InvalidInput(f"The signature has more than {MAX_POINTS} points.")
        if points:
            strokes.append(tuple(points))
    signature = Signature(int(width), int(height), tuple(strokes))
    if signature.is_empty:
        raise InvalidInput("The signature is empty: sign in the box first.")
    return signature


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e9


def signature_png(signature: Signature, *, target_width: int = 600) -> bytes:
    """The strokes drawn black on white, as a PNG (kept with the record, shown on the PDF)."""
    from PIL import Image, ImageDraw

    scale = target_width / signature.width
    size = (target_width, max(1, round(signature.height * scale)))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    line_width = max(2, round(3 * scale))
    for stroke in signature.strokes:
        points = [(x * scale, y * scale) for x, y in stroke]
        if len(points) == 1:
            x, y = points[0]
            r = line_width / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill=0)
        else:
            draw.line(points, fill=0, width=line_width, joint="curve")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@dataclass(frozen=True)
class CertificateItem:
    statement: str
    required: bool
    answer: bool


@dataclass(frozen=True)
class CertificateDetails:
    record_id: str
    form_title: str
    form_version: str
    form_date: date | None
    ethics_reference: str
    participant_label: str  # pseudonym (role)
    real_name: str | None  # from the identity register, if the researcher keeps one
    party: str  # self, parent, assent
    given_by: str
    method: str
    given_on: date
    researcher_name: str
    items: Sequence[CertificateItem]
    signature_png: bytes | None = None
    scan_name: str = ""
    recording_label: str = ""  # verbal: which recording and where
    notes: Sequence[str] = field(default_factory=tuple)


_PARTY_TEXT = {
    "self": "Consent given by the participant",
    "parent": "Consent given by a parent or carer for the child",
    "assent": "The child's own agreement (assent)",
}
_METHOD_TEXT = {
    "signed": "Signed on screen",
    "paper": "Paper form (scan kept with this record)",
    "verbal": "Given verbally and recorded",
}


def certificate_pdf(details: CertificateDetails) -> bytes:
    """One or more A4 pages: the form, every answer, how and when consent was given."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(f"Consent certificate {details.record_id}")
    pdf.set_creator("Relations Desktop")
    pdf.set_author(details.researcher_name)
    pdf.add_font("DejaVu", "", str(resource("fonts", "DejaVuSans.ttf")))
    pdf.add_font("DejaVu", "B", str(resource("fonts", "DejaVuSans-Bold.ttf")))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(width, 8, "Consent certificate", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(width, 6, details.form_title, new_x="LMARGIN", new_y="NEXT")
    form_line = f"Form version {details.form_version}"
    if details.form_date:
        form_line += f", dated {details.form_date.isoformat()}"
    if details.ethics_reference:
        form_line += f". Ethics approval: {details.ethics_reference}"
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(width, 5, form_line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    rows = [
        ("Participant", details.participant_label),
        *([("Name", details.real_name)] if details.real_name else []),
        ("Consent", _PARTY_TEXT.get(details.party, details.party)),
        *([("Given by", details.given_by)] if details.given_by else []),
        ("Method", _METHOD_TEXT.get(details.method, details.method)),
        ("Date", details.given_on.isoformat()),
        ("Researcher", details.researcher_name),
        *([("Recording", details.recording_label)] if details.recording_label else []),
        *([("Scan", details.scan_name)] if details.scan_name else []),
        ("Record", details.record_id),
    ]
    for label, value in rows:
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(32, 6, label)
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(width - 32, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(width, 7, "Statements and answers", new_x="LMARGIN", new_y="NEXT")
    for number, item in enumerate(details.items, start=1):
        answer = "YES" if item.answer else "NO"
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(16, 6, answer)
        pdf.set_font("DejaVu", "", 10)
        text = f"{number}. {item.statement}" + ("" if item.required else " (optional)")
        pdf.multi_cell(width - 16, 5.5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    for note in details.notes:
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(width, 5, note, new_x="LMARGIN", new_y="NEXT")

    if details.signature_png:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 10)
        pdf.cell(width, 6, "Signature", new_x="LMARGIN", new_y="NEXT")
        pdf.image(io.BytesIO(details.signature_png), w=min(80, width))
    return bytes(pdf.output())


def render_pages(pdf: bytes, *, scale: float = 1.5) -> list[bytes]:
    """The PDF's pages as PNG images, in memory (for viewing it in the app)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        images: list[bytes] = []
        for index in range(len(document)):
            page = document[index]
            bitmap = page.render(scale=scale)
            out = io.BytesIO()
            bitmap.to_pil().save(out, format="PNG")
            images.append(out.getvalue())
        return images
    finally:
        document.close()
