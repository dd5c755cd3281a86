"""`observatory quarantine list | show | replay`."""

from __future__ import annotations

import json
import uuid

from observatory.settings import Settings


def _print(obj) -> None:
    print(json.dumps(obj, indent=2, default=str, ensure_ascii=False))


def run(settings: Settings, args) -> int:
    return {"list": cmd_list, "show": cmd_show, "replay": cmd_replay}[args.action](settings, args)


def cmd_list(settings: Settings, args) -> int:
    from observatory.status import open_for_reading
    from pipelines.quarantine import rejected_files, row_batches

    items = rejected_files(settings)
    opened = open_for_reading(settings)
    if opened:
        con, _ = opened
        try:
            items += row_batches(con, status=None if args.all else "open")
        finally:
            con.close()
    if args.json:
        _print(items)
        return 0
    if not items:
        print("Nothing in quarantine.")
        return 0
    for item in items:
        if item["kind"] == "file":
            print(f"file  {item['source']}/{item['quarantined_as']}  rejected {item['rejected_at']}")
            for reason in item["reasons"]:
                print(f"        {reason}")
        else:
            print(f"rows  {item['quarantine_file']}  {item['n_rows']} row(s) from "
                  f"{item['source']}/{item['file']}")
            for reason in item["top_reasons"] or []:
                print(f"        {reason}")
    print("\nShow one with `observatory quarantine show ITEM`; after fixing mappings.toml or the "
          "rows, `observatory quarantine replay`.")
    return 0


def cmd_show(settings: Settings, args) -> int:
    from pipelines.quarantine import read_records

    item = args.item.removeprefix(str(settings.quarantine_dir) + "/")
    path = settings.quarantine_dir / item
    if item.endswith(".jsonl") and path.exists():
        records = read_records(settings, item)[: args.limit]
        if args.json:
            _print(records)
            return 0
        for r in records:
            print(f"line {r['line']}: {'; '.join(r['reasons'])}")
            print("    " + ", ".join(f"{k}={v}" for k, v in r["raw"].items()))
        return 0
    reports = list(settings.quarantine_dir.glob(f"*/{item}.report.json")) or \
        list(settings.quarantine_dir.glob(f"*/*__{item}.report.json"))
    if not reports:
        raise FileNotFoundError(f"nothing in {settings.quarantine_dir} is called {args.item!r}; "
                                "see `observatory quarantine list`")
    for report in reports:
        data = json.loads(report.read_text(encoding="utf-8"))
        if args.json:
            _print(data)
            continue
        print(f"{data['source']}/{data['file']} rejected {data['rejected_at']} "
              f"(kept as {report.parent / data['quarantined_as']})")
        for reason in data["reasons"]:
            print(f"    {reason.get('message') or reason.get('detail')}")
    return 0


def cmd_replay(settings: Settings, args) -> int:
    from pipelines.quarantine import replay
    from warehouse import build as wh_build
    from warehouse import loading
    from warehouse.db import connect_build

    run_id = f"replay-{uuid.uuid4()}"
    con = connect_build(settings.build_db)
    try:
        loading.start_run(con, run_id, None)
        report = replay(con, settings, run_id, args.source, progress=print)
        loading.finish_run(con, run_id, status="completed", n_rows_loaded=report.n_replayed,
                           message=f"quarantine replay: {report.n_replayed} loaded, "
                                   f"{report.n_already_loaded} already loaded, "
                                   f"{report.n_still_open} still failing")
        if report.n_replayed:
            wh_build.build(con, timezone=settings.timezone, run_id=run_id)
        con.execute("checkpoint")
    finally:
        con.close()
    if report.n_replayed:
        wh_build.publish(settings.build_db, settings.published_db)
    print(f"replay {run_id}: {report.n_replayed} row(s) loaded, {report.n_already_loaded} "
          f"already loaded, {report.n_still_open} still failing"
          + (" - warehouse rebuilt and published" if report.n_replayed else ""))
    return 0
