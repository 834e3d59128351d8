"""The signature pad: strokes from mouse drags, undo, clear, and the image they make."""

from __future__ import annotations

import io

from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence

from relations_desktop.core.consent.certificate import Signature, signature_png
from relations_desktop.ui.widgets.signature_pad import SignaturePad

LEFT = Qt.MouseButton.LeftButton


def drag(qtbot, widget, points: list[tuple[int, int]]) -> None:
    """Press at the first point, move through the others, release at the last."""
    first, *rest = [QPoint(x, y) for x, y in points]
    qtbot.mousePress(widget, LEFT, pos=first)
    for point in rest:
        qtbot.mouseMove(widget, point)
    qtbot.mouseRelease(widget, LEFT, pos=rest[-1] if rest else first)


def make_pad(qtbot) -> SignaturePad:
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(480, 220)
    pad.show()
    qtbot.waitExposed(pad)
    return pad


def test_drags_make_strokes_in_pad_pixels(qtbot) -> None:
    pad = make_pad(qtbot)
    assert pad.signature() is None and pad.is_empty
    assert not pad.undo_button.isEnabled() and not pad.clear_button.isEnabled()
    assert pad.canvas.accessibleName() == "Signature pad"

    with qtbot.waitSignal(pad.changed):
        drag(qtbot, pad.canvas, [(40, 120), (80, 90), (120, 130), (160, 80)])
    drag(qtbot, pad.canvas, [(200, 100), (260, 110)])
    assert len(pad.strokes) == 2
    assert pad.strokes[0][0] == (40.0, 120.0) and pad.strokes[0][-1] == (160.0, 80.0)
    assert len(pad.strokes[0]) == 4
    assert pad.undo_button.isEnabled() and pad.clear_button.isEnabled()

    signature = pad.signature()
    assert isinstance(signature, Signature)
    assert (signature.width, signature.height) == (pad.canvas.width(), pad.canvas.height())
    assert signature.strokes[1] == ((200.0, 100.0), (260.0, 110.0))
    image = Image.open(io.BytesIO(signature_png(signature)))
    assert image.format == "PNG" and image.getextrema()[0] == 0  # black ink on white


def test_undo_with_the_button_and_ctrl_z_then_clear(qtbot) -> None:
    pad = make_pad(qtbot)
    for y in (60, 100, 140):
        drag(qtbot, pad.canvas, [(30, y), (300, y)])
    assert len(pad.strokes) == 3
    pad.canvas.setFocus()
    qtbot.keySequence(pad.canvas, QKeySequence("Ctrl+Z"))
    assert len(pad.strokes) == 2 and pad.strokes[-1][0] == (30.0, 100.0)
    qtbot.mouseClick(pad.undo_button, LEFT)
    assert len(pad.strokes) == 1
    qtbot.mouseClick(pad.clear_button, LEFT)
    assert pad.signature() is None and not pad.clear_button.isEnabled()


def test_points_outside_the_pad_are_kept_on_its_edge(qtbot) -> None:
    pad = make_pad(qtbot)
    width, height = pad.canvas.width(), pad.canvas.height()
    drag(qtbot, pad.canvas, [(20, 20), (width + 50, height + 40)])
    assert pad.strokes[0][-1] == (float(width), float(height))
    signature = pad.signature()
    assert signature is not None and signature.width == width


def test_a_right_click_draws_nothing(qtbot) -> None:
    pad = make_pad(qtbot)
    qtbot.mousePress(pad.canvas, Qt.MouseButton.RightButton, pos=QPoint(50, 50))
    qtbot.mouseMove(pad.canvas, QPoint(90, 90))
    qtbot.mouseRelease(pad.canvas, Qt.MouseButton.RightButton, pos=QPoint(90, 90))
    assert pad.signature() is None
