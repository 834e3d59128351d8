"""The bundle container: limits, the manifest, and the checks on what a bundle holds
(see docs/bundle-format.md).

A bundle is an age file (``pyrage``) holding a tar stream (stdlib ``tarfile``) whose
first member is ``manifest.json`` and second its detached minisign signature. Nothing
here is home-made cryptography or a home-made container; this module only decides what
the manifest must say and which tar entries are acceptable.
"""

from __future__ import annotations

import json
import re
import tarfile
from typing import Any

from relations_desktop.core.errors import InvalidInput

BUNDLE_FORMAT = "relations-bundle"
SCHEMA_REVISION = 1
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.json.minisig"
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_SIGNATURE_BYTES = 16 * 1024
MAX_FILE_BYTES = 16 * 1024**3  # 16 GiB: more than a day of FLAC
MAX_TOTAL_BYTES = 256 * 1024**3  # 256 GiB: a manifest promising terabytes is refused
MAX_FILES = 200_000
CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_SAFE_PART = re.compile(r"[A-Za-z0-9._-]+")


class BundleRefused(InvalidInput):
    """A bundle that is damaged, hostile, not for us, or from a stranger."""

    exit_code = 14


def refuse(reason: str) -> BundleRefused:
    return BundleRefused(f"Bundle refused: {reason}. Nothing was written.")


def check_name(name: str) -> str:
    """A member path that is plain and relative (``a/b.json``), or a refusal."""
    if not name or len(name) > 255:
        raise refuse(f"an entry has an empty or overlong name ({name[:60]!r})")
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        raise refuse(f"the entry {name[:80]!r} has an absolute path")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise refuse(f"the entry {name[:80]!r} points outside the bundle ('..')")
    if "\\" in name or not all(p not in ("", ".") and _SAFE_PART.fullmatch(p) for p in parts):
        raise refuse(f"the entry {name[:80]!r} has a name a bundle never uses")
    return name


def check_entry(info: tarfile.TarInfo) -> None:
    """Refuse links, devices and anything but a regular file, with a clear reason."""
    check_name(info.name)
    if info.issym() or info.islnk():
        raise refuse(f"the entry {info.name!r} is a link")
    if info.ischr() or info.isblk() or info.isfifo():
        raise refuse(f"the entry {info.name!r} is a device file")
    if not info.isreg():
        raise refuse(f"the entry {info.name!r} is not a plain file")


def parse_manifest(data: bytes) -> dict[str, Any]:
    """The manifest, with every promise it makes checked against the limits."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise refuse("the manifest is not valid JSON this app can read") from None
    if not isinstance(document, dict) or document.get("format") != BUNDLE_FORMAT:
        raise refuse("the manifest is not a Relations bundle manifest")
    if document.get("schema_revision") != SCHEMA_REVISION:
        raise refuse(
            f"schema revision {document.get('schema_revision')!r} is not one this app reads "
            f"({SCHEMA_REVISION})"
        )
    researcher = document.get("researcher")
    files = document.get("files")
    if not isinstance(researcher, dict) or not isinstance(files, list):
        raise refuse("the manifest lacks its researcher or its file list")
    if not isinstance(document.get("bundle_id"), str) or not isinstance(
        document.get("created_at"), str
    ):
        raise refuse("the manifest lacks its bundle id or creation time")
    if len(files) > MAX_FILES:
        raise refuse(f"the manifest lists more than {MAX_FILES} files")
    seen: set[str] = set()
    total = 0
    for entry in files:
        if not isinstance(entry, dict):
            raise refuse("a manifest file entry is malformed")
        path, size, digest = entry.get("path"), entry.get("size"), entry.get("sha256")
        if not isinstance(path, str) or not isinstance(digest, str) or type(size) is not int:
            raise refuse("a manifest file entry lacks its path, size or SHA-256")
        check_name(path)
        if path in (MANIFEST_NAME, SIGNATURE_NAME) or path in seen:
            raise refuse(f"the manifest lists {path!r} twice")
        if not _SHA256.fullmatch(digest):
            raise refuse(f"the manifest's SHA-256 for {path!r} is malformed")
        if size < 0 or size > MAX_FILE_BYTES:
            raise refuse(
                f"the manifest promises {size} bytes for {path!r}; a file is at most "
                f"{MAX_FILE_BYTES // 1024**3} GiB"
            )
        total += size
        seen.add(path)
    if total > MAX_TOTAL_BYTES:
        raise refuse(
            f"the manifest promises {total} bytes in all; a bundle is at most "
            f"{MAX_TOTAL_BYTES // 1024**3} GiB"
        )
    return document


def json_bytes(value: Any) -> bytes:
    """Canonical JSON (sorted keys, UTF-8, no spaces), so the same data always gives the
    same bytes. Compact on purpose: only then does ``json`` use its C encoder, several
    times faster on a long transcript (``jq .`` shows it indented)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return (text + "\n").encode("utf-8")
