"""``qdpx``: export sessions as a REFI-QDA project for NVivo, ATLAS.ti, MAXQDA and
QualCoder (see docs/qdpx-export.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from relations_desktop.cli.common import CommandFactory, Handler, Output
from relations_desktop.core.export.qdpx import QdpxResult, export_qdpx
from relations_desktop.core.records import to_json
from relations_desktop.core.services import StoreService


def add_commands(command: CommandFactory) -> None:
    qdpx = command(
        "qdpx", "export sessions as a REFI-QDA project (.qdpx) for qualitative analysis software"
    )
    qdpx.add_argument("--out", type=Path, required=True, metavar="FILE", help="the .qdpx file")
    qdpx.add_argument(
        "--encounter",
        action="append",
        default=[],
        metavar="ID",
        help="a session to include (repeatable; all sessions when none is given)",
    )
    qdpx.add_argument(
        "--with-audio",
        action="store_true",
        help="include the recordings as FLAC (where everyone's consent allows it)",
    )


def cmd_qdpx(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    result = export_qdpx(service, args.out, args.encounter or None, with_audio=args.with_audio)
    out.result(to_json(result), lambda: _summary(result, args.with_audio))


def _summary(result: QdpxResult, with_audio: bool) -> str:
    lines = [
        f"Exported {result.path}: {result.audio_sources} recording(s) "
        f"({result.transcripts} with a transcript, {result.audio_files} with audio), "
        f"{result.text_sources} note(s), {result.cases} case(s), {result.codes} code(s).",
        "Names are pseudonymised.",
    ]
    if result.participants_left_out:
        lines.append(
            f"{result.participants_left_out} participant(s) who withdrew their data are left out."
        )
    if with_audio and result.audio_withheld:
        lines.append("Audio left out:")
        lines += [f"  {reason}" for reason in result.audio_withheld]
    return "\n".join(lines)


HANDLERS: dict[str, Handler] = {"qdpx": cmd_qdpx}
