"""Transcription commands: transcribe, transcript show, glossary add|list."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from relations_desktop.cli.common import ArgumentParser, CommandFactory, Handler, Output
from relations_desktop.core.errors import Cancelled, NotFound, RelationsError
from relations_desktop.core.records import to_json
from relations_desktop.core.services import StoreService
from relations_desktop.core.transcription.jobs import MODES, JobEvent

FORMATS = ("txt", "srt", "vtt", "json", "docx")


def add_commands(command: CommandFactory) -> None:
    transcribe = command("transcribe", "transcribe a recording on this computer (waits)")
    transcribe.add_argument("recording", metavar="RECORDING_ID")
    transcribe.add_argument(
        "--model",
        metavar="DIR",
        help="a CTranslate2 Whisper model folder (default: embedded tiny.en)",
    )
    transcribe.add_argument("--language", metavar="L", help="default: the store's setting (en)")
    transcribe.add_argument(
        "--mode", choices=MODES, default="fast", help="fast (batched) or accurate (sequential)"
    )

    transcript = command("transcript", "transcripts").add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser
    )
    show = command(
        "show",
        "print or export a recording's transcript, pseudonymised (refused while "
        "identifiers are unreviewed: see 'pseudonym check')",
        transcript,
    )
    show.add_argument("recording", metavar="RECORDING_ID")
    show.add_argument("--format", choices=FORMATS, default="txt")
    show.add_argument("--out", type=Path, metavar="FILE")
    show.add_argument("--no-times", action="store_true", help="txt: leave out the times")
    show.add_argument("--no-speakers", action="store_true", help="txt: leave out the speakers")

    glossary = command(
        "glossary", "the study's names and terms, given to the speech model"
    ).add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=ArgumentParser)
    add = command("add", "add terms (e.g. methadone OST 'kinship care')", glossary)
    add.add_argument("terms", nargs="+", metavar="TERM")
    command("list", "list the glossary", glossary)


def cmd_transcribe(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    model = str(args.model) if args.model else None
    job = service.transcription.enqueue(
        args.recording, model_dir=model, language=args.language, mode=args.mode
    )
    last = [-1]

    def report(event: JobEvent) -> None:
        percent = int(event.progress * 100)
        if event.job_id == job.id and percent != last[0] and event.status == "running":
            last[0] = percent
            out.progress(f"  transcribing {percent:3d}%")

    service.transcription.add_listener(report)
    out.progress(f"Transcribing {args.recording} ({job.mode}, {job.language}); Ctrl+C cancels…")
    try:
        finished = service.transcription.run_job(job.id)
    except KeyboardInterrupt:
        service.transcription.cancel(job.id)
        raise Cancelled("The transcription was cancelled; nothing was kept.") from None
    finally:
        service.transcription.remove_listener(report)
    if finished.status == "failed":
        raise RelationsError(f"The transcription failed: {finished.error}")
    if finished.status != "done" or finished.transcript_id is None:
        raise Cancelled(f"The transcription ended as {finished.status}.")
    out.result({"id": finished.transcript_id, "job_id": finished.id}, finished.transcript_id)


def cmd_transcript(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    from relations_desktop.core.export import transcript_formats

    transcript = service.transcripts.latest_for_recording(args.recording)
    if transcript is None:
        raise NotFound(f"Recording {args.recording} has no transcript yet; run 'transcribe'.")
    options = transcript_formats.ExportOptions(
        times=not args.no_times, speakers=not args.no_speakers
    )
    if args.out is None and args.format == "docx" and sys.stdout.isatty():
        raise RelationsError("DOCX is a binary file: give --out FILE.docx.")
    # Printed or written, the transcript leaves the store: the same gate and register.
    exported = service.transcripts.export(transcript.id, args.format, args.out, options)
    if args.out is not None:
        out.progress(
            f"Warning: {args.out} is not encrypted. The pseudonym register has been applied "
            "to it; keep it safe all the same."
        )
        out.result({"id": transcript.id, "path": str(args.out)}, str(args.out))
        return
    if args.format == "docx":
        sys.stdout.buffer.write(transcript_formats.render(exported, args.format, options))
        return
    if out.as_json and args.format != "json":
        out.result(to_json(exported), "")
        return
    sys.stdout.write(transcript_formats.render(exported, args.format, options).decode("utf-8"))


def cmd_glossary(service: StoreService, args: argparse.Namespace, out: Output) -> None:
    if args.action == "add":
        added = service.transcription.add_terms(args.terms)
        out.result({"added": added}, "\n".join(added) if added else "(already there)")
        return
    terms = service.transcription.terms()
    out.result(terms, "\n".join(terms) if terms else "(empty)")


HANDLERS: dict[str, Handler] = {
    "transcribe": cmd_transcribe,
    "transcript": cmd_transcript,
    "glossary": cmd_glossary,
}
