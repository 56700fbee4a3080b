"""ai-margin: the command line of the margin warehouse.

    ai-margin generate --data-dir data/demo --scenario all
    ai-margin run --data-dir data/demo      # load then dbt build
    ai-margin summary                        # per-customer and per-feature margins
    ai-margin check                          # data-quality gate: exit 1 on a floor breach or failed tie-out
    ai-margin alerts --webhook URL           # the day's margin alerts, each posted once
    ai-margin status                         # what is loaded, when, row counts, last build
    ai-margin publish | report | serve       # the read-only copy of the marts, the HTML report, the blocklist
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date
from pathlib import Path

from ai_margin.paths import DEFAULT_WAREHOUSE, dbt_target_dir, warehouse_path
from ai_margin.redact import redact_secrets


SOURCES = ["model_prices", "usage_events", "stripe", "revenue_events", "provider_costs", "overhead"]


class CliError(Exception):
    """A failure with a one-line reason for the user."""


def say(msg: str) -> None:
    print(msg, flush=True)


# ------------------------------------------------------------------------------------------------


def cmd_generate(args: argparse.Namespace) -> int:
    from ai_margin.generate import SCENARIOS, Options, generate

    scenarios: list[str] = []
    for s in args.scenario or []:
        scenarios.extend(SCENARIOS if s == "all" else [s])
    opt = Options(out_dir=Path(args.data_dir), seed=args.seed, customers=args.customers, days=args.days,
                  events=args.events if args.events is not None else args.customers * args.days * 28,
                  end_date=args.end_date, scenarios=tuple(dict.fromkeys(scenarios)),
                  progress=lambda m: say(f"  {m}"))
    say(f"Generating synthetic data into {opt.out_dir} (seed {opt.seed})")
    started = time.perf_counter()
    try:
        manifest = generate(opt)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    seconds = time.perf_counter() - started
    say(f"Generated {manifest['events']:,} usage events for {manifest['customers']} customers, "
        f"{manifest['start_date']} to {manifest['end_date']}, in {seconds:.1f}s")
    for name, day in manifest["scenarios"].items():
        say(f"  scenario {name:<22} starts {day}")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from ai_margin.load import load_all

    data_dir = Path(args.data_dir) if args.data_dir else None
    if data_dir is not None and not data_dir.is_dir():
        raise CliError(f"data directory not found: {data_dir}")
    warehouse = warehouse_path(args.warehouse)
    say(f"Loading into {warehouse}")
    started = time.perf_counter()
    try:
        load_all(data_dir, warehouse, only=args.only, say=say)
    except Exception as exc:  # dlt wraps source errors; show the innermost reason
        raise CliError(_held_elsewhere(str(_root_cause(exc)), warehouse) or f"load failed: {_root_cause(exc)}") from exc
    say(f"Load finished in {time.perf_counter() - started:.1f}s")
    return 0


def cmd_lakehouse(args: argparse.Namespace) -> int:
    import json

    from ai_margin.build import run_dbt
    from ai_margin.paths import dlt_dir
    from pipelines.lakehouse import copy_to_lakehouse

    warehouse = _existing_warehouse(args, first="load")
    bucket_url = args.bucket_url or str(warehouse.parent / "lakehouse")
    if "://" not in bucket_url:
        bucket_url = Path(bucket_url).resolve().as_uri()
    say(f"Copying the raw tables of {warehouse} to {bucket_url} (dlt filesystem destination, Parquet)")
    started = time.perf_counter()
    try:
        tables = copy_to_lakehouse(warehouse, bucket_url, dlt_dir(warehouse) / "lakehouse", say=say)
    except Exception as exc:
        raise CliError(f"lakehouse copy failed: {_root_cause(exc)}") from exc
    say(f"Copy finished in {time.perf_counter() - started:.1f}s")
    if args.register:
        root = bucket_url.removeprefix("file://")
        result = run_dbt(["run-operation", "register_lakehouse", "--target", args.target,
                          "--args", json.dumps({"root": root, "tables": tables})], warehouse, quiet=True)
        if not result.success:
            raise CliError(f"registering the lakehouse tables on target {args.target} failed: "
                           f"{_root_cause(result.exception) if result.exception else _run_messages(result)}")
        say(f"Declared {sum(map(len, tables.values()))} raw table(s) on dbt target {args.target}: "
            f"`dbt build --target {args.target}` reads them")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from ai_margin.build import build_args, run_dbt, target_name

    warehouse = _existing_warehouse(args, first="load")
    target = target_name(args.target)
    if target == "duckdb":
        _check_not_held(warehouse)
    dbt_args = build_args(args.select, args.vars, args.full_refresh, args.target)
    say(f"Building models {f'in {warehouse}' if target == 'duckdb' else f'on dbt target {target}'}: "
        f"dbt {' '.join(dbt_args)}")
    started = time.perf_counter()
    result = run_dbt(dbt_args, warehouse, quiet=args.quiet)
    failed = _failed_nodes(result) + _build_held_back_models(result, warehouse, args)
    seconds = time.perf_counter() - started
    floor_breaches = [r for r in failed if "margin_floor" in (r.node.tags or [])]
    if not result.success and not (floor_breaches and floor_breaches == failed):
        reason = (f"dbt build failed: {_dbt_failures(failed)}" if failed
                  else f"dbt build failed: {_root_cause(result.exception)}")
        held = _held_elsewhere(f"{reason} {_run_messages(result)}", warehouse)
        if held:
            raise CliError(held)
        if "out of sync" in _run_messages(result):
            reason += (" (an incremental model's columns changed, e.g. after an upgrade: "
                       "`ai-margin build --full-refresh` rebuilds it)")
        raise CliError(reason)
    say(f"Build finished in {seconds:.1f}s")
    if args.publish and target == "duckdb":
        _publish(warehouse, after_build=True)
    if floor_breaches:
        # A margin below its floor is a finding about the business, not a broken build: the models are
        # all built. `ai-margin check` is the gate that fails on it.
        say("Margin floors breached (the data tests tagged margin_floor; `ai-margin check` fails on them):")
        for r in floor_breaches:
            say(f"  {r.node.name}: {r.failures} row(s)"
                + (f", stored in {r.node.relation_name}" if getattr(r.node, "relation_name", None) else ""))
    return 0


def _held_elsewhere(message: str, warehouse: Path) -> str | None:
    """A readable reason when DuckDB could not lock the warehouse because another process has it open."""
    if "Could not set lock" not in message and "Conflicting lock" not in message:
        return None
    from ai_margin.publish import published_dir

    holder = message[message.find("(PID"):].split(")")[0] + ")" if "(PID" in message else ""
    return (f"the warehouse {warehouse} is open in another process {holder}: close it. BI tools, notebooks "
            f"and scripts should read the copy each build publishes, {published_dir(warehouse) / 'current'} "
            "(docs/bi-tools.md), which never blocks a build")


def _check_not_held(warehouse: Path) -> None:
    """Open the warehouse for writing once before dbt does: when another process holds it, one clear
    line instead of dbt's tracebacks."""
    import duckdb

    try:
        duckdb.connect(str(warehouse)).close()
    except duckdb.IOException as exc:
        raise CliError(_held_elsewhere(str(exc), warehouse) or f"cannot open {warehouse}: {exc}") from exc


def _run_messages(result) -> str:
    """Every node's message in a dbt result, as one string (empty when dbt returned no results)."""
    return " ".join(str(getattr(r, "message", "") or "") for r in getattr(result.result, "results", None) or [])


def _publish(warehouse: Path, after_build: bool = False) -> None:
    """`ai-margin publish`; after a build, a warehouse without marts yet (a build of a few selected
    models) is not an error: there is nothing to publish."""
    import duckdb

    from ai_margin.build import release_dbt_connection
    from ai_margin.publish import NothingToPublish, publish

    release_dbt_connection()
    try:
        publish(warehouse, say=say)
    except NothingToPublish as exc:
        if not after_build:
            raise CliError(str(exc)) from exc
        say("Nothing published: the warehouse has no marts yet")
    except (ValueError, OSError, duckdb.Error) as exc:
        raise CliError(f"publish failed: {exc}") from exc


def cmd_publish(args: argparse.Namespace) -> int:
    _publish(_existing_warehouse(args, first="run"))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from ai_margin.publish import current_snapshot
    from ai_margin.report import make_report

    warehouse = warehouse_path(args.warehouse)
    snapshot = current_snapshot(warehouse)
    if not snapshot.exists():
        raise CliError(f"no published snapshot at {snapshot} (run `ai-margin build` or `ai-margin publish` first)")
    out = Path(args.out)
    started = time.perf_counter()
    interactive = sys.stdout.isatty()

    def progress(i: int, n: int, name: str) -> None:
        bar = "#" * i + "-" * (n - i)
        line = f"  [{bar}] {i}/{n} {name}"
        print(f"\r{line:<72}" if interactive else line, end="" if interactive else "\n", flush=True)

    import duckdb

    try:
        make_report(snapshot, out, start=args.start, end=args.end, feature=args.feature, customer=args.customer,
                    model=args.model, progress=progress)
    except (ValueError, OSError, duckdb.Error) as exc:
        raise CliError(f"report failed: {exc}") from exc
    if interactive:
        print()
    say(f"Wrote {out} ({out.stat().st_size / 1e6:.1f} MB, opens offline) in {time.perf_counter() - started:.1f}s")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ai_margin.publish import published_dir
    from ai_margin.serve import make_server

    blocklist = published_dir(warehouse_path(args.warehouse)) / "current" / "blocklist.json"
    try:
        server = make_server(blocklist, args.host, args.port)
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {exc}") from exc
    say(f"Serving {blocklist} at http://{args.host}:{server.server_address[1]}/blocklist.json (Ctrl-C stops)")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


SIMULATIONS = "path:models/simulations"


def cmd_simulate(args: argparse.Namespace) -> int:
    """Rebuild the simulation models (models/simulations/) with the scenario as dbt vars, then print
    the result. The tables keep the scenario until the next build, for BI tools and the report."""
    import duckdb

    from ai_margin.build import build_args, release_dbt_connection, run_dbt
    from ai_margin.simulate import print_scenario, scenario_vars

    warehouse = _existing_warehouse(args, first="run")
    _check_not_held(warehouse)
    scenario = scenario_vars(args)
    dbt_args = build_args(SIMULATIONS, json.dumps(scenario))
    say(f"Simulating in {warehouse}: dbt {' '.join(dbt_args)}")
    result = run_dbt(dbt_args, warehouse, quiet=True)
    if not result.success:
        raise CliError(f"simulation failed: {_dbt_failures(_failed_nodes(result)) or _root_cause(result.exception)}")
    release_dbt_connection()
    if args.publish:
        _publish(warehouse, after_build=True)
    try:
        print_scenario(warehouse, args, say=say)
    except duckdb.Error as exc:
        raise CliError(f"cannot read the simulation: {exc}") from exc
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    cmd_load(args)
    return cmd_build(args)


def cmd_status(args: argparse.Namespace) -> int:
    import duckdb

    warehouse = _existing_warehouse(args, first="load")
    con = duckdb.connect(str(warehouse), read_only=True)
    tables = con.execute("""
        select schema_name, table_name, estimated_size from duckdb_tables()
        where schema_name like 'raw_%' and table_name not like '_dlt_%'
        order by schema_name, table_name
    """).fetchall()
    status = {"warehouse": str(warehouse), "raw_tables": [], "loads": [], "last_build": None}
    for schema, table, _ in tables:
        rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        status["raw_tables"].append({"table": f"{schema}.{table}", "rows": rows})
    for schema in sorted({t[0] for t in tables}):
        try:
            last = con.execute(f'select max(inserted_at) from "{schema}"._dlt_loads where status = 0').fetchone()[0]
        except duckdb.Error:
            last = None
        status["loads"].append({"dataset": schema, "last_loaded_at": last.isoformat() if last else None})
    run_results = dbt_target_dir(warehouse) / "target" / "run_results.json"
    if run_results.exists():
        rr = json.loads(run_results.read_text())
        counts: dict[str, int] = {}
        for r in rr.get("results", []):
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        status["last_build"] = {"command": rr.get("args", {}).get("which"),
                                "finished_at": rr.get("metadata", {}).get("generated_at"),
                                "elapsed_s": round(rr.get("elapsed_time", 0), 1), "results": counts}
    if args.json:
        say(json.dumps(status, indent=2))
        return 0
    say(f"Warehouse: {warehouse}")
    say("Raw tables:")
    for t in status["raw_tables"]:
        say(f"  {t['table']:<45} {t['rows']:>12,} rows")
    say("Last successful load per dataset:")
    for load in status["loads"]:
        say(f"  {load['dataset']:<25} {load['last_loaded_at'] or 'never'}")
    b = status["last_build"]
    if b:
        results = ", ".join(f"{v} {k}" for k, v in sorted(b["results"].items()))
        say(f"Last build: {b['finished_at']} ({b['elapsed_s']}s): {results}")
    else:
        say("Last build: never")
    return 0


def cmd_summary(args: argparse.Namespace) -> int:
    from ai_margin.summary import print_summary

    warehouse = _existing_warehouse(args, first="run")
    print_summary(warehouse, top=args.top, say=say)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from ai_margin.check import run_checks

    warehouse = _existing_warehouse(args, first="run")
    # with --json, stdout carries the JSON document only; progress goes to stderr
    progress = (lambda m: print(m, file=sys.stderr, flush=True)) if args.json else say
    progress(f"Checking {warehouse}")
    started = time.perf_counter()
    gates = run_checks(warehouse, say=progress, vars_yaml=args.vars,
                       data_dir=Path(args.data_dir) if args.data_dir else None, max_rows=args.max_details)
    failed = [g for g in gates if g.status == "fail"]
    if args.json:
        say(json.dumps({"passed": not failed, "gates": [g.as_dict() for g in gates]}, indent=2, default=str))
    else:
        for g in gates:
            say(f"{g.status.upper():<5} {g.name}")
            for line in g.notes:
                say(f"        {line}")
            for f in g.findings:
                if f.status == "pass":
                    continue
                say(f"        {f.summary}")
                for line in f.lines:
                    say(f"          {line}")
                if f.more:
                    say(f"          ... and {f.more} more")
                if f.next_step:
                    say(f"          next: {f.next_step}")
    verdict = "FAILED: " + ", ".join(g.name for g in failed) if failed else "passed"
    progress(f"Check {verdict} in {time.perf_counter() - started:.1f}s")
    return 1 if failed else 0


def cmd_alerts(args: argparse.Namespace) -> int:
    import duckdb

    from ai_margin.alerts import AlertError, dumps, format_alert, post_new_alerts, read_alerts

    warehouse = _existing_warehouse(args, first="run")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        day, alerts = read_alerts(con, args.date, args.since)
    except AlertError as exc:
        raise CliError(str(exc)) from exc
    finally:
        con.close()
    if args.json:
        say(dumps(day, alerts))
    else:
        scope = f"since {args.since}" if args.since else f"on {day}"
        say(f"{len(alerts)} alert(s) {scope}" + (":" if alerts else ""))
        for a in alerts:
            say("  " + format_alert(a))
    webhook = args.webhook or os.environ.get("AI_MARGIN_ALERT_WEBHOOK")
    if webhook:
        try:
            post_new_alerts(warehouse, alerts, webhook, say=(lambda m: print(m, file=sys.stderr)) if args.json else say)
        except AlertError as exc:
            raise CliError(str(exc)) from exc
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from ai_margin.bench import StageFailed, run_bench

    try:
        stages = args.stages or ("generate,load,build,floor," + ("lakehouse,spark," if args.target == "spark" else "")
                                 + "incremental")
        run_bench(events=args.events, customers=args.customers, days=args.days, work_dir=Path(args.work_dir),
                  stages=stages, say=say)
    except StageFailed as exc:
        raise CliError(str(exc)) from exc
    return 0


# ------------------------------------------------------------------------------------------------


def _existing_warehouse(args: argparse.Namespace, first: str) -> Path:
    warehouse = warehouse_path(args.warehouse)
    if not warehouse.exists():
        raise CliError(f"warehouse not found: {warehouse} (run `ai-margin {first}` first)")
    return warehouse


def _root_cause(exc: BaseException | None) -> str:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        nxt = exc.__cause__ or exc.__context__
        if nxt is None:
            break
        exc = nxt
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _build_held_back_models(result, warehouse: Path, args: argparse.Namespace) -> list:
    """dbt skips every model (and test) after a failing data test; build those models anyway, with their
    own data tests (`dbt build` of just them, and again for any a later failure holds back), so that the
    marts and the alerts are current and every test has run, whatever the data tests say: a data-quality
    problem must not silence the alerts. Returns the failures of these builds."""
    from ai_margin.build import build_args, run_dbt

    failures = []
    while _failed_nodes(result):
        skipped = [r.node.name for r in getattr(result.result, "results", None) or []
                   if str(r.status) == "skipped" and r.node.resource_type == "model"]
        if not skipped:
            break
        say(f"Building the {len(skipped)} model(s) a failing data test held back, with their tests: "
            f"dbt build --select {' '.join(skipped)}")
        result = run_dbt(build_args(" ".join(skipped), args.vars, args.full_refresh, args.target), warehouse,
                         quiet=args.quiet)
        failures += _failed_nodes(result)
        if not result.success and not _failed_nodes(result):
            say(f"  not all of them built: {_root_cause(result.exception)}")
            break
    return failures


def _failed_nodes(result) -> list:
    return [r for r in getattr(result.result, "results", None) or [] if str(r.status) in ("error", "fail")]


def _dbt_failures(failed: list) -> str:
    failures = [f"{r.node.name} ({r.status})" for r in failed]
    if not failures:
        return ""
    more = f" and {len(failures) - 5} more" if len(failures) > 5 else ""
    return ", ".join(failures[:5]) + more


def _add_common(p: argparse.ArgumentParser, data_dir: bool = True) -> None:
    if data_dir:
        p.add_argument("--data-dir", metavar="DIR", default=os.environ.get("AI_MARGIN_DATA_DIR"),
                       help="input folder in the layout described in the README (usage/, stripe/, revenue/, "
                            "providers/, overhead/); env AI_MARGIN_DATA_DIR. Without it each source reads "
                            "its location from dlt config, e.g. SOURCES__USAGE_EVENTS__USAGE_DIR")
    p.add_argument("--warehouse", metavar="FILE", default=None,
                   help=f"DuckDB warehouse file (default: env AI_MARGIN_WAREHOUSE or {DEFAULT_WAREHOUSE})")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ai-margin",
        description="Margin warehouse for AI-powered SaaS: load usage, Stripe billing, provider costs and "
                    "model prices with dlt into DuckDB, then build per-customer, per-feature margins with dbt.",
        epilog="Example: ai-margin generate --data-dir data/demo --scenario all && "
               "ai-margin run --data-dir data/demo && ai-margin summary")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    g = sub.add_parser("generate", help="write deterministic synthetic input data (usage, Stripe, provider bills)",
                       description="Write a deterministic synthetic data set in the input layout: usage events "
                                   "(Parquet), Stripe objects in API shapes, OpenAI/Anthropic cost pages, a FOCUS "
                                   "export for Bedrock, and overhead cost pools.")
    g.add_argument("--data-dir", metavar="DIR", required=True, help="folder to write (created if missing)")
    g.add_argument("--seed", type=int, default=42, help="random seed; same seed, same files (default 42)")
    g.add_argument("--customers", type=int, default=200, help="number of customers (default 200)")
    g.add_argument("--days", type=int, default=90, help="length of the period in days (default 90)")
    g.add_argument("--events", type=int, default=None,
                   help="target number of usage events before scenarios (default customers x days x 28)")
    g.add_argument("--end-date", type=date.fromisoformat, default=date(2026, 9, 30),
                   help="last day of the period, YYYY-MM-DD (default 2026-09-30)")
    g.add_argument("--scenario", action="append", metavar="NAME",
                   choices=["all", "model_upgrade", "agent_loop", "unprofitable_customer", "prompt_change",
                            "price_change"],
                   help="switch on a scenario (repeatable): model_upgrade, agent_loop, unprofitable_customer, "
                        "prompt_change, price_change, or all")
    g.set_defaults(func=cmd_generate)

    ld = sub.add_parser("load", help="run the dlt pipelines into the warehouse",
                        description="Load model prices, usage events, Stripe objects, provider billing and overhead "
                                    "pools into DuckDB. Unchanged usage files are skipped; reruns never double-count.")
    _add_common(ld)
    ld.add_argument("--only", action="append", metavar="SOURCE", choices=SOURCES,
                    help=f"load only this source (repeatable): {', '.join(SOURCES)}")
    ld.set_defaults(func=cmd_load)

    b = sub.add_parser("build", help="dbt build: seeds, models and data tests",
                       description="Run `dbt build --exclude-resource-type unit_test` on the warehouse: seeds, "
                                   "staging, intermediate and mart models, and every data test on every row. The "
                                   "event-grain model is incremental (dbt's delete+insert): it prices new usage "
                                   "files and re-prices the days whose prices changed; the three daily aggregates "
                                   "of events rebuild the days that changed; the rest are rebuilt whole. Unit "
                                   "tests (tests of the SQL, not the data) run in `ai-margin check`. "
                                   "Exits non-zero if a model or an error-severity test fails.")
    _add_common(b, data_dir=False)
    b.add_argument("--select", metavar="SELECTOR", help="dbt node selection, e.g. marts or +fct_margin_waterfall")
    b.add_argument("--vars", metavar="YAML", help="dbt vars, e.g. '{revenue_allocation_method: value_weights}'")
    b.add_argument("--full-refresh", action="store_true",
                   help="rebuild incremental models from scratch (after changing their SQL)")
    b.add_argument("--quiet", action="store_true", help="print only errors from dbt")
    b.add_argument("--target", metavar="TARGET",
                   help="dbt target in profiles.yml (default: env AI_MARGIN_TARGET or duckdb). `spark` builds the "
                        "raw tables `ai-margin lakehouse` declared there, with its metastore and tables under "
                        "spark/ beside the warehouse (env AI_MARGIN_SPARK_DIR); only the duckdb target is published")
    b.add_argument("--no-publish", dest="publish", action="store_false",
                   help="do not refresh the read-only copy of the marts (`ai-margin publish`) after the build")
    b.set_defaults(func=cmd_build)

    lh = sub.add_parser("lakehouse", help="copy the raw tables to Parquet files for Spark and declare them there",
                        description="Copy every raw table the loaders wrote into DuckDB to dlt's filesystem "
                                    "destination as Parquet (<bucket>/<raw schema>/<table>/), skipping tables "
                                    "unchanged since the last copy, then declare them as tables on a dbt target "
                                    "(dbt run-operation register_lakehouse), so `dbt build --target spark` builds "
                                    "the same models from the same rows. docs/spark.md has the details.")
    _add_common(lh, data_dir=False)
    lh.add_argument("--bucket-url", metavar="URL", default=os.environ.get("DESTINATION__FILESYSTEM__BUCKET_URL"),
                    help="a folder or s3://, gs://, az:// URL (credentials from dlt config); env "
                         "DESTINATION__FILESYSTEM__BUCKET_URL; default: lakehouse/ beside the warehouse")
    lh.add_argument("--target", default="spark", help="dbt target to declare the tables on (default: spark)")
    lh.add_argument("--no-register", dest="register", action="store_false",
                    help="only copy the files; declare nothing")
    lh.set_defaults(func=cmd_lakehouse)

    r = sub.add_parser("run", help="load, then build", description="`ai-margin load` followed by `ai-margin build`.")
    _add_common(r)
    r.add_argument("--only", action="append", metavar="SOURCE", choices=SOURCES,
                   help=f"load only this source (repeatable): {', '.join(SOURCES)}")
    r.add_argument("--select", metavar="SELECTOR", help="dbt node selection for the build step")
    r.add_argument("--vars", metavar="YAML", help="dbt vars for the build step (see dbt_project.yml)")
    r.add_argument("--full-refresh", action="store_true",
                   help="rebuild incremental models from scratch (after changing their SQL)")
    r.add_argument("--quiet", action="store_true", help="print only errors from dbt")
    r.add_argument("--no-publish", dest="publish", action="store_false",
                   help="do not refresh the read-only copy of the marts (`ai-margin publish`) after the build")
    r.set_defaults(func=cmd_run, target=None)  # the build step uses the profile's default target

    pb = sub.add_parser("publish", help="copy the marts to a read-only snapshot BI tools read during builds",
                        description="Copy every mart into a new snapshot beside the warehouse (a DuckDB file and "
                                    "one Parquet file per mart) and point <warehouse>.published/current at it, "
                                    "atomically. Readers of current/ never block a build and never see half a "
                                    "snapshot. `ai-margin build` and `run` publish after every successful build.")
    _add_common(pb, data_dir=False)
    pb.set_defaults(func=cmd_publish)

    rp = sub.add_parser("report", help="write an HTML report of the margins (charts, alerts, weekly review)",
                        description="Write one self-contained HTML file (opens offline) from the published snapshot: "
                                    "revenue vs cost and margin % over time, the waterfall, margin per customer, "
                                    "models and providers, cohorts and plans, features against their floors, the "
                                    "period's alerts and a weekly review. Reads the snapshot, so it can run while "
                                    "a build does.")
    _add_common(rp, data_dir=False)
    rp.add_argument("--out", metavar="FILE", default="margin-report.html", help="where to write it")
    rp.add_argument("--from", dest="start", metavar="DATE", type=date.fromisoformat,
                    help="first day (default: the first day of the marts)")
    rp.add_argument("--to", dest="end", metavar="DATE", type=date.fromisoformat,
                    help="last day (default: the last day of the marts); the weekly review is its week")
    rp.add_argument("--feature", help="only this feature (in the time charts, waterfall, customers, models, "
                                      "cohorts and feature floors; the tables of alerts, budgets and the weekly "
                                      "review always show everything)")
    rp.add_argument("--customer", help="only this customer, the application's id (same views as --feature)")
    rp.add_argument("--model", help="only this model (in the models view)")
    rp.set_defaults(func=cmd_report)

    sv = sub.add_parser("serve", help="serve the published budget blocklist over HTTP for the SDK guard",
                        description="Serve <warehouse>.published/current/blocklist.json read-only at "
                                    "/blocklist.json, with ETag and If-None-Match (304 while unchanged). The SDK "
                                    "guard (ai_margin.sdk.Blocklist) polls it.")
    _add_common(sv, data_dir=False)
    sv.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sv.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    sv.set_defaults(func=cmd_serve)

    si = sub.add_parser("simulate", help="what-if: model swap, price shock, change forecast (tables in schema simulations)",
                        description="Rebuild the simulation models (models/simulations/) for a scenario and print "
                                    "the result. The tables keep the scenario for BI tools and the report until the "
                                    "next build, which goes back to the scenario in dbt_project.yml's vars. The "
                                    "period is the last 30 days of usage unless --from/--to say otherwise.")
    si_kinds = si.add_subparsers(dest="kind", metavar="KIND", required=True)
    sw = si_kinds.add_parser("swap", help="re-price a feature's calls at each candidate model's prices",
                             description="Each feature's inference calls of the period (their real mix of uncached, "
                                         "cached, cache-write, output and reasoning tokens) re-priced at every "
                                         "candidate model's list prices, candidates grouped by benchmark tier.")
    sw.add_argument("--feature", help="one feature (default: every feature)")
    sw.add_argument("--top", type=int, default=8, help="candidates shown per group (default 8)")
    sh = si_kinds.add_parser("shock", help="a provider's or model's prices multiplied from a date",
                             description="Which features fall below their floor and which customers become "
                                         "unprofitable if a provider's (or one model's) prices are multiplied, the "
                                         "dollars a month it costs, and the swaps that bring each feature back.")
    sh.add_argument("--provider", help="provider as in usage, e.g. openai (default: the one with the most cost)")
    sh.add_argument("--model", help="only this model (catalog id or the name in usage)")
    sh.add_argument("--factor", type=float, default=2.0, help="price multiplier (default 2)")
    sh.add_argument("--since", metavar="DATE", help="the shock's first day (default: the period's first day)")
    ch = si_kinds.add_parser("change", help="a feature's tokens, requests or model mix changed from a date",
                             description="The margin a change implies: token counts or requests changed by a "
                                         "percentage, or a share of the calls moved to another model, from a date.")
    ch.add_argument("--feature", required=True)
    ch.add_argument("--since", metavar="DATE", help="the change's first day (default: the period's first day)")
    for name in ("input-tokens", "output-tokens", "reasoning-tokens", "requests"):
        ch.add_argument(f"--{name}-pct", type=float, default=0, metavar="PCT", help=f"change in {name.replace('-', ' ')}, %%")
    ch.add_argument("--to-model", help="move a share of the calls to this model (catalog id)")
    ch.add_argument("--to-provider", help="the provider of --to-model, where several sell it (as in usage)")
    ch.add_argument("--model-share-pct", type=float, default=0, metavar="PCT", help="share of calls moved (default 0)")
    for p in (sw, sh, ch):
        p.add_argument("--from", dest="period_from", metavar="DATE", help="first day of the period")
        p.add_argument("--to", dest="period_to", metavar="DATE", help="last day of the period")
        p.add_argument("--customers", type=int, default=5, help="customers shown (default 5)")
        p.add_argument("--no-publish", dest="publish", action="store_false",
                       help="do not refresh the published copy BI tools read (default: refresh it)")
        _add_common(p, data_dir=False)
    si.set_defaults(func=cmd_simulate)

    st = sub.add_parser("status", help="what is loaded, when, row counts, last build result",
                        description="Show raw tables with row counts, the last successful load of each dataset and "
                                    "the result of the last dbt build.")
    _add_common(st, data_dir=False)
    st.add_argument("--json", action="store_true", help="print as JSON")
    st.set_defaults(func=cmd_status)

    sm = sub.add_parser("summary", help="print per-customer and per-feature margins",
                        description="Print a readable margin summary from the marts: totals, features, the most "
                                    "and least profitable customers.")
    _add_common(sm, data_dir=False)
    sm.add_argument("--top", type=int, default=8, help="customers to show at each end (default 8)")
    sm.set_defaults(func=cmd_summary)

    ck = sub.add_parser("check", help="data-quality gate: freshness, dbt tests, floors, tie-outs, GX checkpoint",
                        description="Runs `dbt source freshness` (on the sources that hold loaded rows), `dbt test` "
                                    "(row counts, nulls, tie-outs, reconciliation and quarantine tolerances, margin "
                                    "floors) and a Great Expectations checkpoint over raw usage and the marts, and "
                                    "says what failed: each stale source with its age and threshold, each feature "
                                    "below its floor with its day, margin and floor, the first failing rows of other "
                                    "tests, and what to do next. Exit code 1 when any fails, else 0.")
    _add_common(ck, data_dir=False)
    ck.add_argument("--data-dir", metavar="DIR", default=os.environ.get("AI_MARGIN_DATA_DIR"),
                    help="the folder the data was loaded from (env AI_MARGIN_DATA_DIR; default: where `make demo` "
                         "generates, data/demo). When it holds generated data (its manifest.json) and the "
                         "warehouse holds exactly its usage files, freshness is judged as of the generated "
                         "period's last day instead of now")
    ck.add_argument("--vars", metavar="YAML",
                    help="dbt vars for the tests, e.g. '{as_of_date: 2026-09-30}' (as_of_date also sets the "
                         "moment freshness is judged at: the end of that day)")
    ck.add_argument("--json", action="store_true",
                    help="print the verdict as JSON on stdout (progress on stderr), with each finding's fields")
    ck.add_argument("--max-details", type=int, default=10, metavar="N",
                    help="failing rows shown per floor test, then '... and K more' (other tests: up to 3; "
                         "default 10)")
    ck.set_defaults(func=cmd_check)

    al = sub.add_parser("alerts", help="print the day's margin alerts; post new ones to a webhook",
                        description="Alerts from marts.fct_margin_alerts for one day (default: the last day in the "
                                    "data) or since a day. With --webhook (or AI_MARGIN_ALERT_WEBHOOK) new alerts are "
                                    "POSTed as JSON; each alert is sent to a webhook once, however often this runs.")
    _add_common(al, data_dir=False)
    when = al.add_mutually_exclusive_group()
    when.add_argument("--date", type=date.fromisoformat, metavar="YYYY-MM-DD", help="alerts raised on this day")
    when.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD", help="alerts raised on or after this day")
    al.add_argument("--json", action="store_true", help="print as JSON")
    al.add_argument("--webhook", metavar="URL", help="POST new alerts here (default env AI_MARGIN_ALERT_WEBHOOK)")
    al.set_defaults(func=cmd_alerts)

    be = sub.add_parser("bench", help="benchmark generate, load and build at a given size, against a floor",
                        description="Generate N events, load them and build the models, printing each stage's "
                                    "wall time, rows/s and peak memory (RSS of its process). The floor stage runs "
                                    "the core of the margin chain as one hand-written DuckDB script on the same "
                                    "data (ai_margin/floor.py); the bench then prints the project's time as "
                                    "ratios to it.")
    be.add_argument("--events", type=int, default=1_000_000, help="usage events to generate (default 1,000,000)")
    be.add_argument("--customers", type=int, default=2000, help="customers (default 2000)")
    be.add_argument("--days", type=int, default=90, help="days (default 90)")
    be.add_argument("--work-dir", default="warehouse/bench", help="scratch folder (default warehouse/bench)")
    be.add_argument("--target", choices=("duckdb", "spark"), default="duckdb",
                    help="spark: also copy the raw tables to the lakehouse and run the same build on a local "
                         "Spark (stages lakehouse, spark), beside DuckDB's figures (default duckdb)")
    be.add_argument("--stages",
                    help="comma-separated stages to run: generate, load, load-jsonl, build, floor (the "
                         "hand-written yardstick, after build), lakehouse and spark (the build on Spark), "
                         "incremental (adds one more day of usage plus late events, loads it and builds "
                         "incrementally on DuckDB) (default generate,load,build,floor,incremental, with "
                         "lakehouse,spark before incremental for --target spark)")
    be.set_defaults(func=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except CliError as exc:
        print(f"ai-margin {args.command}: error: {redact_secrets(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"ai-margin {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


def entry() -> None:
    """The `ai-margin` console script."""
    sys.exit(main())


if __name__ == "__main__":
    entry()
