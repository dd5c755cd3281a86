"""`observatory import <kind> FILE...`: import official statistics or classification files."""

from __future__ import annotations

import argparse
from pathlib import Path

from observatory.settings import Settings
from pipelines.sources.detect import SUPPORTED_KINDS

KINDS = ("auto", *SUPPORTED_KINDS)


def _say(message: str) -> None:
    print(message, flush=True)


def cmd_import(settings: Settings, args) -> int:
    """Run the ingest-official flow on the given files; exit code 2 when any file failed."""
    from observatory.cli import _prefect_env

    _prefect_env(settings)
    from pipelines.official import ingest_official_flow

    settings.ensure_dirs()
    # Resolved here: the flow must not depend on the directory it happens to run in.
    paths = [str(Path(name).expanduser().resolve()) for name in args.files]
    result = ingest_official_flow(home=str(settings.home), paths=paths,
                                  kind=None if args.kind == "auto" else args.kind)
    for file in result["files"]:
        rows = f" ({file['n_rows']:,} rows)" if file["n_rows"] else ""
        kind = f" [{file['kind']}]" if file["kind"] else ""
        detail = f": {file['detail']}" if file["detail"] else ""
        _say(f"  {file['outcome']:<17} {file['file_name']}{kind}{rows}{detail}")
    _say(f"import {result['run_id']}: {result['files_loaded']} file(s) imported "
         f"({result['rows_loaded']:,} rows), {result['files_skipped']} skipped as already "
         f"imported, {result['files_rejected']} failed")
    if result["published"]:
        _say(f"published {result['published']}")
    return 2 if result["files_rejected"] else 0


def add_import_parser(subparsers, home_parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add `import <kind> FILE...` to the `observatory` sub-commands."""
    imp = subparsers.add_parser(
        "import", parents=[home_parent],
        help="import official statistics or classifications (Eurostat, NUTS, ESCO, ROME, "
             "NACE, NAF, BMO), then publish",
        description="Import official files into the warehouse and publish it. With 'auto' "
                    "each file's kind is detected from its content; with an explicit kind a "
                    "file of another kind is refused. Files are never moved.")
    imp.add_argument("kind", choices=KINDS, metavar="KIND",
                     help="auto, or one of: " + ", ".join(SUPPORTED_KINDS))
    imp.add_argument("files", nargs="+", metavar="FILE")
    imp.set_defaults(func=cmd_import)
    return imp
