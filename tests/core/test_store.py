"""The store on disk: permissions, encryption at rest, process lock, damage, migrations."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from relations_desktop.core import vault
from relations_desktop.core.errors import (
    NotAStore,
    SchemaTooNew,
    StoreDamaged,
    StoreExists,
    StoreInUse,
    StoreLocked,
    WrongPassphrase,
)
from relations_desktop.core.services import StoreService
from relations_desktop.core.store import migrate
from relations_desktop.core.store.engine import DB_FILE, make_engine
from relations_desktop.core.store.lockfile import LOCK_FILE

from .helpers import mode, snapshot

PASS = "kitchen table methadone bairns"
REPO = Path(__file__).resolve().parents[2]
MIGRATIONS = REPO / "relations_desktop" / "core" / "store" / "migrations"


def _marker(label: str) -> str:
    return f"MARKER{label.upper()}{uuid.uuid4().hex}"


def _find_markers(folder: Path, markers: list[str]) -> list[str]:
    """Every (file, marker, encoding) where a marker shows in any file under ``folder``.

    Matching is case-insensitive (the full-text index lower-cases words) on the marker
    without its last four characters (the index may store a stemmed form).
    """
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes().lower()
        for marker in markers:
            needle = marker.lower()[:-4]
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                if needle.encode(encoding) in data:
                    found.append(f"{path.name}: {marker} ({encoding})")
    return found


def _db_key(store: Path) -> bytes:
    return vault.unlock_with_passphrase(store, PASS).database_key()


@pytest.fixture(scope="module")
def store_with_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed store holding some data (made once; tests work on copies)."""
    store = tmp_path_factory.mktemp("template") / "store"
    with StoreService.create(store, PASS) as svc:
        for i in range(20):
            person = svc.add_participant(
                f"P{i}", "Mother", region="Scotland", real_name=f"Real Name {i}"
            )
            enc = svc.add_encounter("home-visit", f"Visit {i}", participant_ids=[person.id])
            svc.add_note(enc.id, f"Kitchen table conversation number {i}. " * 200)
    return store


@pytest.fixture
def data_copy(tmp_path: Path, store_with_data: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(store_with_data, target)
    return target


# --------------------------------------------------------------- permissions
def test_store_folder_and_files_are_private(store_dir: Path) -> None:
    old_umask = os.umask(0)  # the app must not rely on a friendly umask
    try:
        svc = StoreService.create(store_dir, PASS)
        try:
            enc = svc.add_encounter("home-visit", "Visit")
            svc.add_note(enc.id, "something to make the WAL grow " * 100)
            assert mode(store_dir) == 0o700
            for name in (vault.VAULT_FILE, DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm", LOCK_FILE):
                assert (store_dir / name).exists(), name
                assert mode(store_dir / name) == 0o600, name
            # Locking and unlocking (a new engine, new connections) keeps them private.
            svc.lock()
            svc.unlock(PASS)
            svc.add_note(enc.id, "after unlock")
            for name in (DB_FILE, f"{DB_FILE}-wal", f"{DB_FILE}-shm"):
                assert mode(store_dir / name) == 0o600, name
            svc.change_passphrase("a brand new passphrase")
            assert mode(store_dir / vault.VAULT_FILE) == 0o600
        finally:
            svc.close()
    finally:
        os.umask(old_umask)
    assert mode(store_dir) == 0o700
    for path in store_dir.iterdir():
        assert mode(path) == 0o600, path.name
    assert not list(store_dir.glob(".*")), "no temporary files left behind"


def test_standard_sqlite_cannot_read_the_database(service: StoreService) -> None:
    enc = service.add_encounter("home-visit", "Visit")
    service.add_note(enc.id, "hello")
    db = service.store_dir / DB_FILE
    service.close()
    assert not db.read_bytes().startswith(b"SQLite format 3")
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="file is not a database"):
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    finally:
        conn.close()


def test_wrong_key_cannot_read_the_database(data_copy: Path) -> None:
    engine = make_engine(data_copy / DB_FILE, bytes(32))
    try:
        with pytest.raises(DBAPIError, match="not a database"), engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM participant")).all()
    finally:
        engine.dispose()


# ---------------------------------------------------------- plaintext on disk
def test_marker_scan_finds_plaintext(tmp_path: Path) -> None:
    """Control for the plaintext test: the scanner does find what it looks for."""
    markers = [_marker("a"), _marker("b"), _marker("c")]
    (tmp_path / "x.bin").write_bytes(b"\x00" + markers[0].encode("utf-16-le") + b"\x00")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "y").write_bytes(markers[1].lower().encode()[:-2])
    conn = sqlite3.connect(tmp_path / "plain.db")
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (markers[2],))
    conn.commit()
    conn.close()
    found = _find_markers(tmp_path, markers)
    assert any(markers[0] in f and "utf-16-le" in f for f in found)
    assert any(markers[1] in f for f in found)
    assert any(markers[2] in f for f in found)


def test_no_plaintext_reaches_the_disk(store_dir: Path) -> None:
    m = {
        name: _marker(name)
        for name in (
            "pseudonym",
            "role",
            "region",
            "realname",
            "pnotes",
            "enctitle",
            "summary",
            "notetitle",
            "notebody",
            "oldbody",
            "newbody",
            "bigstart",
            "bigmiddle",
            "bigend",
            "jotting",
            "setting",
            "query",
        )
    }
    filler = "she said the health visitor came round before the school run and "
    big = (
        m["bigstart"]
        + " "
        + filler * (5 * 1024 * 1024 // len(filler))
        + m["bigmiddle"]
        + " "
        + filler * (5 * 1024 * 1024 // len(filler))
        + m["bigend"]
    )
    assert len(big.encode()) >= 10 * 1024 * 1024
    svc = StoreService.create(store_dir, PASS, researcher_name="Dr Test", project_name="P")
    try:
        person = svc.add_participant(
            m["pseudonym"],
            m["role"],
            region=m["region"],
            real_name=m["realname"],
            notes=m["pnotes"],
        )
        enc = svc.add_encounter(
            "home-visit", m["enctitle"], summary=m["summary"], participant_ids=[person.id]
        )
        svc.add_note(enc.id, f"We talked. {m['notebody']} And then tea.", title=m["notetitle"])
        svc.add_note(enc.id, m["jotting"], kind="jotting", offset_seconds=12.5)
        big_note = svc.add_note(enc.id, big, title="Long fieldnote")
        edited = svc.add_note(enc.id, f"first draft {m['oldbody']}")
        svc.update_note(edited.id, body=f"second draft {m['newbody']}")
        svc.set_setting("last_search", m["setting"])
        query_word = m["query"]
        assert svc.search(query_word) == []
        assert [h.ref_id for h in svc.search(m["newbody"])] == [edited.id]
        assert [h.ref_id for h in svc.search(m["bigmiddle"])] == [big_note.id]
        assert svc.search(m["oldbody"]) == []
        assert svc.get_note(big_note.id).body == big

        # While open: the WAL holds the latest commits.
        assert (store_dir / f"{DB_FILE}-wal").exists()
        assert _find_markers(store_dir, list(m.values())) == []
    finally:
        svc.close()
    assert sorted(p.name for p in store_dir.iterdir()) == sorted(
        [vault.VAULT_FILE, DB_FILE, LOCK_FILE]
    )
    assert _find_markers(store_dir, list(m.values())) == []

    # Reopen, read, lock and close: still nothing in the clear.
    with StoreService.open(store_dir, PASS) as svc:
        assert svc.real_name(person.id) == m["realname"]
        svc.search(m["bigend"])
        svc.lock()
        assert _find_markers(store_dir, list(m.values())) == []
    assert _find_markers(store_dir, list(m.values())) == []


# ---------------------------------------------------------------- process lock
HOLDER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from relations_desktop.core.errors import RelationsError
    from relations_desktop.core.services import StoreService
    try:
        svc = StoreService.open(Path(sys.argv[1]), os.environ["TEST_PASSPHRASE"])
    except RelationsError as exc:
        print(type(exc).__name__, flush=True)
        sys.exit(exc.exit_code)
    print("ready", flush=True)
    sys.stdin.read()
    svc.close()
    print("closed", flush=True)
    """
)


def _python(store: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "TEST_PASSPHRASE": PASS},
    )


def test_second_process_gets_store_in_use(data_copy: Path) -> None:
    child = _python(data_copy)
    try:
        assert child.stdout is not None
        line = child.stdout.readline().strip()
        assert line == "ready", child.stderr.read() if child.stderr else line
        before = snapshot(data_copy)
        with pytest.raises(StoreInUse):
            StoreService.open(data_copy, PASS)
        with pytest.raises(StoreInUse):
            StoreService.open(data_copy, "even the wrong passphrase")
        assert snapshot(data_copy) == before
        out, _err = child.communicate("", timeout=30)
        assert "closed" in out
        assert child.returncode == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    StoreService.open(data_copy, PASS).close()


def test_other_process_refused_while_this_one_holds_the_store(data_copy: Path) -> None:
    with StoreService.open(data_copy, PASS) as svc:
        svc.lock()  # locked, but the process lock stays held
        child = _python(data_copy)
        out, err = child.communicate("", timeout=60)
        assert out.strip() == "StoreInUse", err
        assert child.returncode == StoreInUse.exit_code
        assert "Traceback" not in err


def test_second_open_in_the_same_process_is_refused(service: StoreService) -> None:
    with pytest.raises(StoreInUse):
        StoreService.open(service.store_dir, PASS)
    service.add_participant("Still", "Works")  # the first service is untouched
    service.close()
    StoreService.open(service.store_dir, PASS).close()


def test_failed_open_releases_the_process_lock(data_copy: Path) -> None:
    with pytest.raises(WrongPassphrase):
        StoreService.open(data_copy, "not the passphrase")
    StoreService.open(data_copy, PASS).close()


def test_lock_and_unlock(service: StoreService, passphrase: str) -> None:
    person = service.add_participant("Lara", "Mother")
    key = service._key
    assert key is not None
    service.lock()
    assert service.is_locked
    assert key.wiped
    calls: list[Callable[[], object]] = [
        lambda: service.add_participant("X", "Y"),
        lambda: service.get_participant(person.id),
        service.list_participants,
        service.list_encounters,
        lambda: service.search("anything"),
        service.info,
        service.audit_events,
        lambda: service.get_setting("auto_lock_minutes"),
        lambda: service.real_name(person.id),
    ]
    for call in calls:
        with pytest.raises(StoreLocked):
            call()
    # The process lock is still held while locked.
    with pytest.raises(StoreInUse):
        StoreService.open(service.store_dir, passphrase)
    with pytest.raises(WrongPassphrase):
        service.unlock("wrong passphrase")
    assert service.is_locked
    service.unlock(passphrase)
    assert not service.is_locked
    assert service.get_participant(person.id).pseudonym == "Lara"
    service.lock()
    service.lock()  # idempotent
    service.unlock(passphrase)
    service.unlock(passphrase)  # no-op when already unlocked
    assert [e.action for e in service.audit_events()].count("store_unlocked") == 2


# ------------------------------------------------------------------- damage
def _flip(offset: Callable[[int], int], count: int = 16) -> Callable[[bytes], bytes]:
    def damage(raw: bytes) -> bytes:
        data = bytearray(raw)
        start = offset(len(data))
        for i in range(start, start + count):
            data[i] ^= 0xFF
        return bytes(data)

    return damage


DB_DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "flip-middle": _flip(lambda n: n // 2),
    "flip-one-byte-middle": _flip(lambda n: n // 2 + 1001, 1),
    "flip-salt": _flip(lambda n: 0, 4),
    "flip-first-page": _flip(lambda n: 200),
    "flip-last-page": _flip(lambda n: n - 40),
    "truncated-half": lambda raw: raw[: len(raw) // 2],
    "truncated-page": lambda raw: raw[:-4096],
    "truncated-one-byte": lambda raw: raw[:-1],
    "truncated-one-page": lambda raw: raw[:4096],
    "empty": lambda raw: b"",
    "zeroed-middle": lambda raw: raw[: len(raw) // 2] + bytes(8192) + raw[len(raw) // 2 + 8192 :],
    "garbage": lambda raw: os.urandom(len(raw)),
}


@pytest.mark.parametrize("case", sorted(DB_DAMAGE))
def test_damaged_database_is_refused_and_unchanged(
    data_copy: Path, store_with_data: Path, case: str
) -> None:
    db = data_copy / DB_FILE
    db.write_bytes(DB_DAMAGE[case](db.read_bytes()))
    before = snapshot(data_copy)
    with pytest.raises(StoreDamaged) as info:
        StoreService.open(data_copy, PASS)
    assert "Nothing was changed" in info.value.message
    assert snapshot(data_copy) == before
    # The process lock was released: once restored from a backup, the store opens.
    shutil.copyfile(store_with_data / DB_FILE, db)
    with StoreService.open(data_copy, PASS) as svc:
        assert svc.info().counts["participants"] == 20


def test_plain_sqlite_database_in_place_of_the_store(data_copy: Path) -> None:
    db = data_copy / DB_FILE
    db.unlink()
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE participant (pseudonym TEXT)")
    conn.commit()
    conn.close()
    before = snapshot(data_copy)
    with pytest.raises(StoreDamaged):
        StoreService.open(data_copy, PASS)
    assert snapshot(data_copy) == before


@pytest.mark.parametrize("layout", ["missing", "empty", "other-files", "file"])
def test_not_a_store(tmp_path: Path, layout: str) -> None:
    target = tmp_path / "target"
    if layout == "empty":
        target.mkdir()
    elif layout == "other-files":
        target.mkdir()
        (target / "notes.txt").write_text("hello")
        (target / "store.sqlite").write_bytes(b"x")
    elif layout == "file":
        target.write_text("I am a file")
    before = snapshot(tmp_path)
    with pytest.raises(NotAStore):
        StoreService.open(target, PASS)
    assert snapshot(tmp_path) == before  # no store.lock, nothing created


def test_vault_without_database_is_damaged(tmp_path: Path) -> None:
    store = tmp_path / "store"
    StoreService.create(store, PASS).close()
    (store / DB_FILE).unlink()
    before = snapshot(store)
    with pytest.raises(StoreDamaged):
        StoreService.open(store, PASS)
    assert snapshot(store) == before
    assert not (store / DB_FILE).exists()


def test_create_on_an_existing_store_changes_nothing(data_copy: Path) -> None:
    before = snapshot(data_copy)
    with pytest.raises(StoreExists):
        StoreService.create(data_copy, "another passphrase entirely")
    assert snapshot(data_copy) == before
    # Also when only one of the two files is there.
    (data_copy / DB_FILE).rename(data_copy / "aside.db")
    with pytest.raises(StoreExists):
        StoreService.create(data_copy, "another passphrase entirely")
    (data_copy / "aside.db").rename(data_copy / DB_FILE)
    (data_copy / vault.VAULT_FILE).rename(data_copy / "aside.json")
    with pytest.raises(StoreExists):
        StoreService.create(data_copy, "another passphrase entirely")
    (data_copy / "aside.json").rename(data_copy / vault.VAULT_FILE)
    assert snapshot(data_copy) == before
    StoreService.open(data_copy, PASS).close()


def test_create_in_an_existing_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "existing"
    folder.mkdir(mode=0o755)
    StoreService.create(folder, PASS).close()
    assert mode(folder) == 0o700
    StoreService.open(folder, PASS).close()


# ----------------------------------------------------------------- migrations
def test_newer_schema_is_refused_and_unchanged(data_copy: Path) -> None:
    engine = make_engine(data_copy / DB_FILE, _db_key(data_copy))
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = 'zzzz'"))
    finally:
        engine.dispose()
    before = snapshot(data_copy)
    with pytest.raises(SchemaTooNew) as info:
        StoreService.open(data_copy, PASS)
    assert "zzzz" in info.value.message
    assert snapshot(data_copy) == before
    assert not (data_copy / migrate.BACKUP_DIR).exists()


def test_fresh_store_takes_no_backup(service: StoreService) -> None:
    assert not (service.store_dir / migrate.BACKUP_DIR).exists()
    assert service.info().schema_revision == migrate.head_revision()
    engine = make_engine(service.store_dir / DB_FILE, service._key.database_key())  # type: ignore[union-attr]
    try:
        assert migrate.migrate(engine, service.store_dir / DB_FILE).backup is None
    finally:
        engine.dispose()


REAL_HEAD = migrate.head_revision()

SECOND_REVISION = '''
"""test-only second revision"""
import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "HEAD"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("test_only_extra", sa.Column("id", sa.Integer, primary_key=True))
    FAIL


def downgrade() -> None:
    op.drop_table("test_only_extra")
'''


@pytest.fixture
def two_revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[bool], None]:
    """Pretend the app gained a revision 9999 (optionally one that fails halfway)."""
    scripts = tmp_path / "migrations"
    (scripts / "versions").mkdir(parents=True)
    shutil.copyfile(MIGRATIONS / "env.py", scripts / "env.py")
    shutil.copyfile(MIGRATIONS / "script.py.mako", scripts / "script.py.mako")
    for path in (MIGRATIONS / "versions").glob("0*.py"):
        shutil.copyfile(path, scripts / "versions" / path.name)

    def install(failing: bool) -> None:
        body = SECOND_REVISION.replace(
            "    FAIL\n", '    raise RuntimeError("migration bug")\n' if failing else ""
        ).replace('"HEAD"', repr(REAL_HEAD))
        (scripts / "versions" / "9999_test_only.py").write_text(body)

        def config() -> Config:
            cfg = Config()
            cfg.set_main_option("script_location", str(scripts))
            return cfg

        monkeypatch.setattr(migrate, "alembic_config", config)

    return install


def test_migration_backs_up_the_store_first(
    data_copy: Path, two_revisions: Callable[[bool], None]
) -> None:
    markers = [_marker("a"), _marker("b")]
    with StoreService.open(data_copy, PASS) as svc:
        person = svc.add_participant(markers[0], "Mother", real_name=markers[1])
    old_db = (data_copy / DB_FILE).read_bytes()
    assert migrate.head_revision() == REAL_HEAD

    two_revisions(False)
    assert migrate.head_revision() == "9999"
    with StoreService.open(data_copy, PASS) as svc:
        assert svc.info().schema_revision == "9999"
        assert svc.get_participant(person.id).pseudonym == markers[0]
    folder = data_copy / migrate.BACKUP_DIR
    assert mode(folder) == 0o700
    backups = list(folder.iterdir())
    assert len(backups) == 1
    backup = backups[0]
    assert backup.name.startswith(f"store-before-{REAL_HEAD}-") and backup.suffix == ".db"
    assert mode(backup) == 0o600
    assert backup.read_bytes() == old_db  # the store exactly as it was before
    assert _find_markers(data_copy, markers) == []

    engine = make_engine(backup, _db_key(data_copy))
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == REAL_HEAD
            )
            assert (
                conn.execute(
                    text("SELECT pseudonym FROM participant WHERE id = :i"), {"i": person.id}
                ).scalar()
                == markers[0]
            )
    finally:
        engine.dispose()
    engine = make_engine(data_copy / DB_FILE, _db_key(data_copy))
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM test_only_extra")).scalar()
    finally:
        engine.dispose()

    # Already at head: a second open takes no second backup.
    StoreService.open(data_copy, PASS).close()
    assert len(list(folder.iterdir())) == 1


def test_older_app_refuses_a_migrated_store(
    data_copy: Path, two_revisions: Callable[[bool], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    two_revisions(False)
    StoreService.open(data_copy, PASS).close()
    monkeypatch.undo()  # back to this app, which does not know 9999
    before = snapshot(data_copy)
    with pytest.raises(SchemaTooNew):
        StoreService.open(data_copy, PASS)
    assert snapshot(data_copy) == before


def test_failed_migration_leaves_the_backup(
    data_copy: Path, two_revisions: Callable[[bool], None]
) -> None:
    old_db = (data_copy / DB_FILE).read_bytes()
    two_revisions(True)
    with pytest.raises(RuntimeError, match="migration bug"):
        StoreService.open(data_copy, PASS)
    backups = list((data_copy / migrate.BACKUP_DIR).iterdir())
    assert len(backups) == 1
    assert backups[0].read_bytes() == old_db
    # The failed migration was rolled back as a whole: nothing of it stayed behind.
    engine = make_engine(data_copy / DB_FILE, _db_key(data_copy))
    try:
        with engine.connect() as conn:
            assert (
                conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == REAL_HEAD
            )
            assert (
                conn.execute(
                    text("SELECT count(*) FROM sqlite_master WHERE name = 'test_only_extra'")
                ).scalar()
                == 0
            )
    finally:
        engine.dispose()
    # The process lock was released, and a fixed migration then runs.
    two_revisions(False)
    StoreService.open(data_copy, PASS).close()
