"""`observatory`: the command-line tool for the pipeline, the warehouse and the dashboard."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from observatory.import_cmd import add_import_parser
from observatory.settings import Settings, SettingsError, load_settings
from observatory.users_cmd import add_users_parser
from pipelines.contracts import CONTRACTS


def _prefect_env(settings: Settings) -> None:
    """Keep Prefect's state under --home and its telemetry off; set before importing it."""
    os.environ.setdefault("PREFECT_HOME", str(settings.prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _say(message: str) -> None:
    print(message, flush=True)


def _log_to_file(settings: Settings) -> None:
    """Keep the flows' logs under <home>/logs as well as on the console."""
    import logging

    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(settings.logs_dir / "observatory.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("prefect.flow_runs", "prefect.task_runs"):
        logging.getLogger(name).addHandler(handler)


# -- commands ----------------------------------------------------------------------

def cmd_generate(settings: Settings, args) -> int:
    from pipelines.generate import DemoConfig, generate_demo

    config = DemoConfig(
        seed=args.seed, n_jobseekers=args.jobseekers, n_employers=args.employers,
        months=args.months, end_month=args.end_month, n_interactions=args.interactions,
        file_format=args.format,
    )
    settings.ensure_dirs()
    started = time.perf_counter()
    files = generate_demo(settings.landing_dir, config, progress=_say)
    _say(f"wrote {len(files)} files to {settings.landing_dir} in "
         f"{time.perf_counter() - started:.1f} s (synthetic demo data, seed {config.seed})")
    return 0


def cmd_refresh(settings: Settings, args) -> int:
    _prefect_env(settings)
    from pipelines.flows import refresh_flow

    settings.ensure_dirs()
    _log_to_file(settings)
    result = refresh_flow(home=str(settings.home))
    ingest = result["ingest"]
    _say(f"refresh {result['run_id']}: {ingest['files_loaded']} file(s) loaded "
         f"({ingest['rows_loaded']:,} rows), {ingest['files_skipped']} skipped as already "
         f"loaded, {ingest['files_rejected']} rejected")
    for r in ingest["rejected"]:
        _say(f"  rejected {r['source']}/{r['file']}: {r['reasons']}")
    official = result["official"]
    if official["files_loaded"] or official.get("files_failed"):
        _say(f"official statistics: {official['files_loaded']} file(s) imported, "
             f"{official.get('files_failed', 0)} failed (see `observatory status`)")
    _say(f"published {result['build']['published']}")
    return 0


def cmd_serve(settings: Settings, args) -> int:
    if getattr(args, "prod", False):
        return _serve_production(settings, args)
    from dashboards.app import serve

    _say(f"PES Observatory dashboard: http://{args.host}:{args.port}/  (Ctrl+C to stop)")
    serve(settings, host=args.host, port=args.port, debug=args.debug)
    return 0


def _serve_production(settings: Settings, args) -> int:
    """Gunicorn: several workers, debug off, one JSON log line per request."""
    if args.debug:
        raise SettingsError("--debug is for development: it cannot be used with --prod")
    from dashboards.production import ServerOptions, default_workers, serve_production

    options = ServerOptions(host=args.host, port=args.port,
                            workers=args.workers or default_workers(), threads=args.threads,
                            proxy_hops=args.proxy_hops)
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    _say(f"PES Observatory dashboard (production, {options.workers} workers x "
         f"{options.threads} threads): http://{args.host}:{args.port}/  (Ctrl+C to stop)")
    _say(f"access log: {settings.logs_dir / 'access.jsonl'} (and stderr)")
    serve_production(settings, options)
    return 0


def cmd_demo(settings: Settings, args) -> int:
    """Generate the demo data (once), refresh, and serve: the quick start's main job."""
    from pipelines.ingest import SYNTHETIC_MANIFEST

    if not (settings.landing_dir / SYNTHETIC_MANIFEST).exists():
        args.seed, args.jobseekers, args.employers, args.months = 42, 50_000, 2_000, 36
        args.end_month, args.interactions, args.format = "2026-10", None, "parquet"
        cmd_generate(settings, args)
    else:
        _say(f"demo data already in {settings.landing_dir}; not regenerated")
    cmd_refresh(settings, args)
    from observatory.users import ensure_demo_login

    _say(f"dashboard users: {ensure_demo_login(settings)}")
    return cmd_serve(settings, args)


def cmd_status(settings: Settings, args) -> int:
    from observatory.status import collect_status, render_status

    status = collect_status(settings)
    if args.json:
        print(json.dumps(status, indent=2, default=str))
    else:
        print(render_status(status))
    return 0


def cmd_quarantine(settings: Settings, args) -> int:
    from observatory.quarantine_cmd import run

    return run(settings, args)


def cmd_sql(settings: Settings, args) -> int:
    from observatory.analyst_sql import run_sql

    print(run_sql(settings.published_db, args.query, args.format), end="")
    return 0


def cmd_stack(settings: Settings, args) -> int:
    """The Prefect server, a process worker and the dashboard, detached (docs/operations.md)."""
    from observatory.stack import Stack, StackConfig, StackError, render_status

    config = None
    if args.action == "start":
        config = StackConfig(prefect_port=args.prefect_port, dashboard_host=args.host,
                             dashboard_port=args.port, dashboard=not args.no_dashboard)
    stack = Stack(settings, config, say=_say)
    try:
        if args.action == "start":
            stack.start(redeploy=args.redeploy, timeout=args.timeout)
        elif args.action == "stop":
            stack.stop(timeout=args.timeout)
        else:
            status = stack.status()
            print(json.dumps(status, indent=2) if args.json else render_status(status))
            return 0 if all(c["running"] for c in status["components"].values()
                            if c["enabled"]) else 3
    except StackError as exc:
        print(f"observatory: {exc}", file=sys.stderr)
        if args.action == "start":
            print("observatory: what did start keeps running; `observatory stack stop` ends it",
                  file=sys.stderr)
        return 2
    return 0


# -- parser ------------------------------------------------------------------------

def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    home_parent = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's own --home (absent) must not reset one given before it.
    home_parent.add_argument(
        "--home", default=argparse.SUPPRESS,
        help="working folder for landing/, quarantine/, warehouse/ and logs "
             "(default: $OBSERVATORY_HOME or ./var)")

    parser = argparse.ArgumentParser(
        prog="observatory", description="PES Observatory: channel usage and labour-market "
        "analytics for Public Employment Services.", parents=[home_parent])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gen = sub.add_parser("generate", parents=[home_parent],
                         help="write synthetic demo data into the landing folder")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--jobseekers", type=int, default=50_000)
    gen.add_argument("--employers", type=int, default=2_000)
    gen.add_argument("--months", type=int, default=36)
    gen.add_argument("--end-month", default="2026-10", help="last month generated, YYYY-MM")
    gen.add_argument("--interactions", type=int, default=None,
                     help="exact number of interactions (default: as behaviour implies)")
    gen.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    gen.set_defaults(func=cmd_generate)

    ref = sub.add_parser("refresh", parents=[home_parent],
                         help="ingest new landed files, then build and publish the warehouse")
    ref.set_defaults(func=cmd_refresh)

    for name, func, text in (("serve", cmd_serve, "run the dashboard"),
                             ("demo", cmd_demo, "generate demo data, refresh, then serve")):
        srv = sub.add_parser(name, parents=[home_parent], help=text)
        srv.add_argument("--host", default="127.0.0.1")
        srv.add_argument("--port", type=int, default=8050)
        srv.add_argument("--debug", action="store_true", help="Dash debug mode (development)")
        srv.add_argument("--prod", action="store_true",
                         help="production: gunicorn with several workers, security headers "
                              "and JSON access logs (docs/operations.md)")
        srv.add_argument("--workers", type=_positive_int, default=None,
                         help="--prod worker processes (default: one per core, 2 to 4)")
        srv.add_argument("--threads", type=_positive_int, default=4,
                         help="--prod threads per worker (default 4)")
        srv.add_argument("--proxy-hops", type=int, choices=range(0, 4), default=0,
                         metavar="N", help="--prod behind N reverse proxies: trust their "
                         "X-Forwarded-For/-Proto/-Host (default 0: clients connect directly)")
        srv.set_defaults(func=func)

    st = sub.add_parser("status", parents=[home_parent],
                        help="what is loaded per source, the last refresh, validation results")
    st.add_argument("--json", action="store_true", help="machine-readable output")
    st.set_defaults(func=cmd_status)

    sql = sub.add_parser("sql", parents=[home_parent],
                         help="read-only SQL over the published warehouse")
    sql.add_argument("query")
    sql.add_argument("--format", choices=("table", "csv", "json"), default="table")
    sql.set_defaults(func=cmd_sql)

    q = sub.add_parser("quarantine", parents=[home_parent],
                       help="inspect what was set aside, and replay it once fixed")
    qsub = q.add_subparsers(dest="action", required=True, metavar="ACTION")
    ql = qsub.add_parser("list", parents=[home_parent], help="rejected files and quarantined rows")
    ql.add_argument("--all", action="store_true", help="also rows already replayed or superseded")
    ql.add_argument("--json", action="store_true")
    qs = qsub.add_parser("show", parents=[home_parent],
                         help="the rows (or the report) of one item of the list")
    qs.add_argument("item", help="a quarantine file as listed (e.g. interactions/rows/...jsonl) "
                                 "or a rejected file's name")
    qs.add_argument("--limit", type=int, default=50)
    qs.add_argument("--json", action="store_true")
    qr = qsub.add_parser("replay", parents=[home_parent],
                         help="re-ingest open quarantined rows with the current mappings and data")
    qr.add_argument("--source", choices=sorted(CONTRACTS), default=None)
    q.set_defaults(func=cmd_quarantine)

    stk = sub.add_parser("stack", parents=[home_parent],
                         help="start, stop or check the Prefect server, worker and dashboard")
    ssub = stk.add_subparsers(dest="action", required=True, metavar="ACTION")
    sst = ssub.add_parser("start", parents=[home_parent],
                          help="start what is not running; deploy prefect.yaml's deployments")
    sst.add_argument("--prefect-port", type=int, default=4200,
                     help="Prefect server and UI port (on 127.0.0.1 only: it has no log-in)")
    sst.add_argument("--host", default="127.0.0.1", help="dashboard address")
    sst.add_argument("--port", type=int, default=8050, help="dashboard port")
    sst.add_argument("--no-dashboard", action="store_true", help="server and worker only")
    sst.add_argument("--redeploy", action="store_true",
                     help="deploy prefect.yaml again even if the server holds its deployments")
    sst.add_argument("--timeout", type=float, default=120,
                     help="seconds each component may take to become ready")
    ssp = ssub.add_parser("stop", parents=[home_parent],
                          help="stop the dashboard, the worker, then the server")
    ssp.add_argument("--timeout", type=float, default=40,
                     help="seconds to wait after SIGTERM before SIGKILL")
    sss = ssub.add_parser("status", parents=[home_parent],
                          help="what runs, with its URL; exit code 3 if something is down")
    sss.add_argument("--json", action="store_true")
    stk.set_defaults(func=cmd_stack)

    add_import_parser(sub, home_parent)
    add_users_parser(sub, home_parent)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(getattr(args, "home", None))
        return args.func(settings, args)
    except (SettingsError, FileNotFoundError) as exc:
        print(f"observatory: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from observatory.errors import user_facing

        message = user_facing(exc)
        if message is None:
            raise
        print(f"observatory: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
