"""Recording commands: devices, record, recording list|show|import|export."""

from __future__ import annotations

import argparse
import signal
import time
from pathlib import Path
from types import FrameType

from relations_desktop.cli.common import ArgumentParser, CommandFactory, Handler, Output, table
from relations_desktop.cli.consent_commands import PARTIES, add_answer_option
from relations_desktop.core.audio.devices import SoundDeviceBackend
from relations_desktop.core.consent.service import VerbalConsent
from relations_desktop.core.errors import InvalidInput
from relations_desktop.core.records import RecordingRecord, to_json
from relations_desktop.core.services import StoreService

STOP_MESSAGES = {
    "device-lost": "The input device stopped sending audio (unplugged?); everything "
    "recorded until then is kept.",
    "disk-low": "Free disk space fell below 200 MB: the recording was stopped and kept.",
    "disk-full": "The disk is full: the recording was stopped; everything committed is kept.",
    "error": "The recording stopped after an error; everything committed is kept.",
}


def add_commands(command: CommandFactory) -> None:
    command("devices", "list audio input devices")
    record = command("record", "record audio into a session (Ctrl+C stops and keeps it)")
    record.add_argument("--encounter", required=True, metavar="ID")
    record.add_argument("--seconds", required=True, type=float, metavar="N")
    record.add_argument("--device", metavar="NAME", help="an input device name or number")
    add_verbal_options(record)

    recording = command("recording", "recordings").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    listing = command("list", "list recordings", recording)
    listing.add_argument("--encounter", metavar="ID")
    show = command("show", "show one recording and its jottings", recording)
    show.add_argument("id")
    imported = command("import", "import an audio file (WAV, FLAC, MP3, M4A, OGG, Opus)", recording)
    imported.add_argument("--encounter", required=True, metavar="ID")
    imported.add_argument("file", type=Path)
    add_verbal_options(imported)
    export = command(
        "export",
        "write a decrypted copy (FLAC or WAV): NOT encrypted, NOT pseudonymised",
        recording,
    )
    export.epilog = (
        "Audio cannot be pseudonymised: the copy holds every voice and every name as "
        "spoken. Share 'transcript show --out' exports instead, which have the pseudonym "
        "register applied."
    )
    export.add_argument("id")
    export.add_argument("--out", required=True, type=Path, metavar="FILE")
    export.add_argument("--format", choices=["flac", "wav"], help="default: from the file name")


def add_verbal_options(parser: ArgumentParser) -> None:
    """Consent said aloud at the start of the recording (stored at its 0 s): everyone
    present must have agreed to audio recording, or give verbal consent now."""
    group = parser.add_argument_group("verbal consent given at the start of the recording")
    group.add_argument(
        "--verbal-consent",
        action="append",
        default=[],
        metavar="PARTICIPANT_ID",
        help="someone present who consents aloud now (repeat for each)",
    )
    group.add_argument("--consent-form", metavar="REF", help="the form read aloud")
    add_answer_option(group)
    group.add_argument("--party", choices=PARTIES, help="for a child: whose agreement")
    group.add_argument("--given-by", default="", metavar="TEXT", help="the parent or carer")


def verbal_consent(args: argparse.Namespace) -> list[VerbalConsent]:
    """The same form and answers for each participant named with --verbal-consent."""
    if not args.verbal_consent:
        if args.consent_form or args.answers or args.party or args.given_by:
            raise InvalidInput(
                "--consent-form, --answer, --party and --given-by go with "
                "--verbal-consent PARTICIPANT_ID."
            )
        return []
    if not args.consent_form:
        raise InvalidInput("Verbal consent needs --consent-form REF: the form read aloud.")
    return [
        VerbalConsent(pid, args.consent_form, dict(args.answers or {}), args.party, args.given_by)
        for pid in dict.fromkeys(args.verbal_consent)
    ]


def cmd_devices(args: argparse.Namespace, out: Output) -> None:
    devices = SoundDeviceBackend().input_devices()
    out.result(
        [to_json(d) for d in devices],
        lambda: (
            table(
                ["#", "NAME", "CHANNELS", "RATE", "DEFAULT"],
                [
                    [
                        str(d.index),
                        d.name,
                        str(d.channels),
                        str(d.default_rate),
                        "yes" if d.is_default else "",
                    ]
                    for d in devices
                ],
            )
            if devices
            else "No input devices found."
        ),
    )


def _device(text: str | None) -> str | int | None:
    if text is None:
        return None
    return int(text) if text.strip().isdigit() else text


def cmd_record(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    if not 0 < args.seconds <= 24 * 3600:
        raise InvalidInput("--seconds must be between 0 and 86400.")
    verbal = verbal_consent(args)
    # SIGTERM (a shutdown) stops cleanly too, from before the stream opens.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        active = service.recordings.start(
            args.encounter, device=_device(args.device), verbal_consent=verbal
        )
    except BaseException:
        signal.signal(signal.SIGTERM, previous)
        raise
    recorder = active.recorder
    out.progress(
        f"Recording {active.recording_id} at {recorder.rate} Hz for {args.seconds:g} s"
        " (Ctrl+C stops and keeps everything)…"
    )
    next_report = 1.0
    try:
        # The length is counted in audio taken, not wall time: N seconds means N seconds.
        while not recorder.stopped and recorder.position_seconds < args.seconds:
            time.sleep(0.05)
            status = recorder.status()
            if status.recorded_seconds >= next_report:
                out.progress(
                    f"  {status.recorded_seconds:5.0f} s  level {status.level_dbfs:6.1f}"
                    f" dBFS{'  CLIPPING' if status.clipping else ''}"
                    f"{'  no signal' if status.silent_seconds > 10 else ''}"
                )
                next_report += 1.0
    except KeyboardInterrupt:
        out.progress("Stopping: everything recorded so far is kept…")
    finally:
        signal.signal(signal.SIGTERM, previous)
        summary = service.recordings.stop()
    if summary is None:  # stopped by itself (device lost, disk): already closed
        summary = recorder.summary()
    if summary.stop_reason in STOP_MESSAGES:
        out.progress(STOP_MESSAGES[summary.stop_reason])
    if summary.overflows:
        out.progress(
            f"Warning: {summary.overflows} input overflows "
            f"({summary.dropped_seconds:.2f} s of audio could not be kept)."
        )
    record = service.recordings.get(active.recording_id)
    out.result(to_json(record), record.id)


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _describe(r: RecordingRecord) -> str:
    lines = [
        f"Recording {r.id}",
        f"  session:   {r.encounter_id}",
        f"  status:    {r.status}" + (f" ({r.stop_reason})" if r.stop_reason else ""),
        f"  duration:  {_clock(r.duration_seconds)}",
        f"  audio:     {r.sample_rate} Hz mono, FLAC, {r.size_bytes / 1e6:.1f} MB",
        f"  source:    {r.original_name or r.device_name or r.source}",
        f"  jottings:  {len(r.jottings)}",
    ]
    lines += [f"    {_clock(j.offset_seconds)}  {j.text}" for j in r.jottings]
    return "\n".join(lines)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def cmd_recording(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    recordings = service.recordings
    if args.action == "list":
        rows = recordings.list(args.encounter)
        out.result(
            [to_json(r) for r in rows],
            lambda: table(
                ["ID", "SESSION", "STATUS", "DURATION", "RATE", "JOTTINGS"],
                [
                    [
                        r.id,
                        r.encounter_id,
                        r.status,
                        _clock(r.duration_seconds),
                        str(r.sample_rate),
                        str(len(r.jottings)),
                    ]
                    for r in rows
                ],
            ),
        )
    elif args.action == "show":
        record = recordings.get(args.id)
        out.result(to_json(record), lambda: _describe(record))
    elif args.action == "import":

        def progress(fraction: float) -> None:
            out.progress(f"  imported {fraction:4.0%}")

        verbal = verbal_consent(args)
        # Refused for consent before the progress starts: one line, as for any refusal.
        service.consent.check_recording(args.encounter, verbal)
        out.progress(f"Importing {args.file.name}…")
        record = recordings.import_file(
            args.encounter, args.file, progress=progress, verbal_consent=verbal
        )
        out.result(to_json(record), record.id)
    else:
        out.progress(
            f"Warning: {args.out} will NOT be encrypted, and audio cannot be "
            "pseudonymised: anyone with the file can listen to it, names and all; "
            "delete it when you are done."
        )
        frames = recordings.export_file(args.id, args.out, args.format)
        out.result({"id": args.id, "path": str(args.out), "frames": frames}, str(args.out))


HANDLERS: dict[str, Handler] = {"record": cmd_record, "recording": cmd_recording}
