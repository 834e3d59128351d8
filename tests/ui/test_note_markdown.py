"""Fieldnotes: Markdown preview (nothing fetched), tags with completion, participant links."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QFont, QTextDocument
from PySide6.QtWidgets import QToolButton

from relations_desktop.core.errors import RelationsError
from relations_desktop.core.services import StoreService
from relations_desktop.ui.tasks import TaskRunner
from relations_desktop.ui.views.note_editor import NoteEditor
from tests.ui.conftest import FAST, WindowFactory, all_texts

SLOW = FAST.__class__(idle_ms=FAST.idle_ms, autosave_debounce_ms=60_000, autosave_max_ms=60_000)
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _editor(qtbot, window, note_id: str | None = None) -> NoteEditor:
    editor = window.workspace.sessions.note_editor
    qtbot.waitUntil(
        lambda: editor.note is not None and (note_id is None or editor.note.id == note_id),
        timeout=3000,
    )
    return editor


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local port that records whether anything connected to it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.setblocking(False)
    yield server
    server.close()


# ------------------------------------------------------------------------ preview
def test_preview_renders_markdown_and_ctrl_shift_p_toggles(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    body = "# Kitchen table\n\nLara made **strong** tea.\n\n- baby asleep\n- rent arrears\n"
    service.update_note(sample["note"], body=body)
    window = make_window()
    editor = _editor(qtbot, window)
    editor.body.setFocus()
    assert not editor.previewing and editor.body.isVisible()

    qtbot.keyClick(editor.body, Qt.Key.Key_P, CTRL_SHIFT)
    assert editor.previewing and editor.preview.isVisible() and not editor.body.isVisible()
    document = editor.preview.document()
    assert document.toPlainText().splitlines()[:2] == ["Kitchen table", "Lara made strong tea."]
    assert document.firstBlock().blockFormat().headingLevel() == 1
    bold = [
        frag.text()
        for frag in _fragments(document)
        if frag.charFormat().fontWeight() >= QFont.Weight.Bold and frag.text() != "Kitchen table"
    ]
    assert bold == ["strong"]
    assert document.lastBlock().textList() is not None  # the list is a list

    qtbot.keyClick(editor.preview, Qt.Key.Key_P, CTRL_SHIFT)
    assert not editor.previewing and editor.body.isVisible()
    assert editor.body.toPlainText() == body  # the source is untouched
    assert service.get_note(sample["note"]).body == body


def test_preview_follows_the_text_and_the_note_shown(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    second = service.add_note(sample["visit"], "## Second\n\n*quiet* morning", kind="memo")
    window = make_window()
    sessions = window.workspace.sessions
    editor = _editor(qtbot, window, sample["note"])
    editor.body.setPlainText("# Edited heading")
    editor.set_preview(True)
    assert editor.preview.toPlainText() == "Edited heading"
    sessions.notes.setCurrentRow(1)
    qtbot.waitUntil(lambda: editor.note is not None and editor.note.id == second.id, timeout=3000)
    assert editor.previewing  # the mode stays; the new note is rendered
    assert editor.preview.toPlainText().splitlines() == ["Second", "quiet morning"]
    runner.wait_idle()
    assert service.get_note(sample["note"]).body == "# Edited heading"  # saved on switching


def test_preview_loads_nothing_from_outside(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    sample,
    listener: socket.socket,
) -> None:
    port = listener.getsockname()[1]
    body = (
        "Seen at the clinic ![x](http://127.0.0.1:9/x.png) and "
        f"![door](http://127.0.0.1:{port}/door.png)\n\n"
        f'<img src="http://127.0.0.1:{port}/raw.png"> '
        f"![local](file:///etc/hostname) [the service](http://127.0.0.1:{port}/page)\n"
    )
    service.update_note(sample["note"], body=body)
    window = make_window()
    editor = _editor(qtbot, window)
    editor.set_preview(True)
    preview = editor.preview
    preview.resize(600, 400)
    qtbot.wait(50)  # layout and paint
    text = preview.toPlainText()
    assert "[image not shown: x]" in text and "[image not shown: door]" in text
    assert "[image not shown: local]" in text
    assert '<img src="http://127.0.0.1' in text  # raw HTML stays text
    assert not any(f.charFormat().isImageFormat() for f in _fragments(preview.document()))
    assert preview.refused == []  # nothing was even asked for
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected

    # Anything asked for anyway is refused, and a link is never followed.
    url = QUrl(f"http://127.0.0.1:{port}/door.png")
    assert preview.loadResource(int(QTextDocument.ResourceType.ImageResource), url) is None
    assert preview.refused == [url.toString()]
    preview.anchorClicked.emit(QUrl(f"http://127.0.0.1:{port}/page"))
    assert "Links are not opened" in editor.notice.text()
    assert preview.source().isEmpty()
    with pytest.raises(BlockingIOError):
        listener.accept()


def _fragments(document: QTextDocument) -> list:
    out = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            out.append(it.fragment())
            it += 1
        block = block.next()
    return out


# --------------------------------------------------------------------------- tags
def test_tags_typed_are_saved_and_completed(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    service.add_note(sample["visit"], "Earlier.", kind="memo", tags=["kinship care"])
    window = make_window()
    editor = _editor(qtbot, window, sample["note"])
    tags = editor.tags
    runner.wait_idle()
    assert tags.known.stringList() == ["kinship care"]

    qtbot.keyClicks(tags.field, "Methadone")
    qtbot.keyClick(tags.field, Qt.Key.Key_Return)
    qtbot.keyClicks(tags.field, "#Rent, nursery,")
    assert tags.chip_names() == ["methadone", "rent", "nursery"]
    assert tags.field.text() == ""
    qtbot.waitUntil(
        lambda: service.get_note(sample["note"]).tags == ["methadone", "nursery", "rent"],
        timeout=3000,
    )
    qtbot.keyClicks(tags.field, "rent")  # a tag already there is not added twice
    qtbot.keyClick(tags.field, Qt.Key.Key_Return)
    assert tags.chip_names() == ["methadone", "rent", "nursery"]

    # Completion from the store's tags, accepted from the popup with Enter.
    qtbot.keyClicks(tags.field, "kin")
    popup = tags.completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=3000)
    assert tags.completer.currentCompletion() == "kinship care"
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert tags.chip_names() == ["methadone", "rent", "nursery", "kinship care"]
    assert tags.field.text() == ""
    qtbot.waitUntil(lambda: "kinship care" in service.get_note(sample["note"]).tags, timeout=3000)
    # New tags are offered from now on.
    assert "methadone" in tags.known.stringList()

    # × removes a tag; Backspace in the empty field removes the last one.
    chip_button = next(
        b for b in tags.findChildren(QToolButton) if b.accessibleName() == "Remove tag rent"
    )
    qtbot.mouseClick(chip_button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(tags.field, Qt.Key.Key_Backspace)
    assert tags.chip_names() == ["methadone", "nursery"]
    qtbot.waitUntil(
        lambda: service.get_note(sample["note"]).tags == ["methadone", "nursery"], timeout=3000
    )
    assert service.list_tags() == ["kinship care", "methadone", "nursery", "rent"]


def test_a_tag_too_long_is_refused_and_nothing_changes(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    window = make_window()
    editor = _editor(qtbot, window)
    before = service.get_note(sample["note"])
    qtbot.keyClicks(editor.tags.field, "x" * 101)
    qtbot.keyClick(editor.tags.field, Qt.Key.Key_Return)
    assert editor.tags.chip_names() == []
    assert editor.tags.field.text() == "x" * 101  # kept, to be shortened
    assert "at most 100 characters" in editor.notice.text() and editor.notice.isVisible()
    runner.wait_idle()
    after = service.get_note(sample["note"])
    assert after.tags == [] and after.updated_at == before.updated_at
    # Typed with a comma: the same refusal, and the text stays.
    editor.tags.field.clear()
    qtbot.keyClicks(editor.tags.field, "y" * 101 + ",")
    assert editor.tags.chip_names() == [] and editor.tags.field.text() == "y" * 101


def test_a_failed_tag_save_is_said_and_saved_again(
    qtbot,
    make_window: WindowFactory,
    service: StoreService,
    runner: TaskRunner,
    sample,
    monkeypatch,
) -> None:
    real = service.update_note
    state = {"fail": True}

    def update_note(*args, **kwargs):
        if state["fail"]:
            raise RelationsError("The disk is full.")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "update_note", update_note)
    window = make_window(SLOW)
    editor = _editor(qtbot, window)
    qtbot.keyClicks(editor.tags.field, "rent")
    qtbot.keyClick(editor.tags.field, Qt.Key.Key_Return)
    runner.wait_idle()
    assert editor.status.text() == "Not saved: The disk is full."
    assert editor.has_unsaved_changes and editor.tags.chip_names() == ["rent"]
    state["fail"] = False
    editor.save_now()
    runner.wait_idle()
    assert service.get_note(sample["note"]).tags == ["rent"]
    assert not editor.has_unsaved_changes


# ------------------------------------------------------------------ participants
def test_participant_links_are_saved(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    other = service.add_participant("Marianne", "Mother", region="England")
    gone = service.add_participant("Kirsty", "Mother", region="Scotland")
    service.consent.withdraw(gone.id, "future")
    window = make_window()
    editor = _editor(qtbot, window)
    picker = editor.people
    runner.wait_idle()
    menu = picker.menu
    present = [a.text() for a in menu.actions() if not a.isSeparator() and a.menu() is None]
    assert sorted(present) == ["Ailsa (Health Visitor)", "Lara (Mother)"]
    others = next(a.menu() for a in menu.actions() if a.menu() is not None)
    assert [a.text() for a in others.actions()] == [
        "Kirsty (Mother) — withdrawn",
        "Marianne (Mother)",
    ]
    assert not others.actions()[0].isEnabled()  # nothing new about someone who withdrew
    assert others.actions()[1].isEnabled()
    assert picker.summary.text() == "Not linked to anyone"

    picker._actions[sample["lara"]].trigger()
    picker._actions[other.id].trigger()
    assert picker.summary.text() == "About: Lara (Mother), Marianne (Mother)"
    qtbot.waitUntil(
        lambda: set(service.get_note(sample["note"]).participant_ids) == {sample["lara"], other.id},
        timeout=3000,
    )
    picker._actions[sample["lara"]].trigger()  # unlink
    qtbot.waitUntil(
        lambda: service.get_note(sample["note"]).participant_ids == [other.id], timeout=3000
    )

    # Reloading the note shows its links.
    window.workspace.sessions.notes.setCurrentRow(-1)
    editor.clear()
    editor.load(service.get_note(sample["note"]))
    runner.wait_idle()
    assert picker.selected() == [other.id]
    assert picker._actions[other.id].isChecked()
    assert not picker._actions[sample["lara"]].isChecked()


def test_typing_still_autosaves_and_undoes_with_tags_and_links(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    window = make_window()
    editor = _editor(qtbot, window)
    original = editor.body.toPlainText()
    qtbot.keyClicks(editor.tags.field, "tea,")
    qtbot.keyClicks(editor.body, " More.")
    qtbot.waitUntil(lambda: service.get_note(sample["note"]).body.endswith(" More."), timeout=3000)
    assert service.get_note(sample["note"]).tags == ["tea"]
    editor.body.undo()
    assert editor.body.toPlainText() == original
    qtbot.waitUntil(lambda: service.get_note(sample["note"]).body == original, timeout=3000)
    assert service.get_note(sample["note"]).tags == ["tea"]


def test_locking_leaves_no_tag_link_or_preview_text(
    qtbot, make_window: WindowFactory, service: StoreService, runner: TaskRunner, sample
) -> None:
    service.add_note(sample["visit"], "Other.", kind="memo", tags=["kinshipcarecode"])
    service.update_note(
        sample["note"],
        body="# Heading kept secret",
        tags=["secrettagword"],
        participant_ids=[sample["lara"]],
    )
    window = make_window()
    editor = _editor(qtbot, window, sample["note"])
    editor.set_preview(True)
    runner.wait_idle()
    texts = all_texts()
    assert "secrettagword" in texts and "Heading kept secret" in texts
    assert "About: Lara (Mother)" in texts
    qtbot.keyClicks(editor.tags.field, "kin")  # the completion popup lists store tags
    assert "kinshipcarecode" in all_texts()

    window.lock()
    runner.wait_idle()
    for texts in (all_texts(flush=False), all_texts()):
        for secret in ("secrettagword", "kinshipcarecode", "Heading kept secret", "Lara"):
            assert secret not in texts
