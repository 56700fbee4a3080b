"""Benchmark: generate, load and build at a given size; print wall time, rows/s and peak memory.

Each stage runs as its own process (the real CLI) so its peak resident memory is measured alone
(os.wait4 rusage of that child). Figures are printed, never asserted.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Callable

from ai_margin.paths import dlt_dir


class StageFailed(Exception):
    """A bench stage exited non-zero; the message names the stage and ends with its output."""


def _run_stage(args: list[str], env: dict | None = None, module: str = "ai_margin.cli") -> tuple[float, float, str]:
    """(seconds, peak RSS MiB, stdout) of one CLI invocation (or of another module's). The peak is the
    larger of the process's own (os.wait4) and its whole tree's, sampled: Spark's JVM is a child that
    pyspark never waits for, so the kernel's figure leaves it out."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", module, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
    tree_peak = _TreePeak(proc.pid)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    tree_peak.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    peak_mib = max(usage.ru_maxrss / 1024, tree_peak.bytes / 2**20)
    if proc.returncode != 0:
        how = (f"was killed by signal {-proc.returncode}" + (" (out of memory?)" if proc.returncode == -9 else "")
               if proc.returncode < 0 else f"exited with {proc.returncode}")
        raise StageFailed(f"stage `ai-margin {' '.join(args)}` {how} after {seconds:.0f}s, peak "
                          f"{peak_mib:,.0f} MiB; its last output:\n{out[-2000:]}")
    return seconds, peak_mib, out


class _TreePeak:
    """Samples the summed resident memory of a process and its descendants every 0.2 s, in a thread."""

    def __init__(self, pid: int) -> None:
        import threading

        self.bytes = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(pid,), daemon=True)
        self._thread.start()

    def _sample(self, pid: int) -> None:
        import psutil

        try:
            root = psutil.Process(pid)
        except psutil.Error:
            return
        while not self._done.wait(0.2):
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    total += p.memory_info().rss
            except psutil.Error:  # a process ended between listing and reading: skip this sample
                continue
            self.bytes = max(self.bytes, total)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def _jsonl_copy(data_dir: Path, out_dir: Path, limit: int) -> int:
    """Write the first `limit` generated events as JSON Lines (what many apps actually log)."""
    import duckdb

    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"""
        copy (select * exclude (occurred_at), strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%fZ') as occurred_at
              from read_parquet('{data_dir}/usage/**/*.parquet') limit {int(limit)})
        to '{out_dir}/events.jsonl' (format json)
    """)
    return con.execute(f"select count(*) from read_json('{out_dir}/events.jsonl')").fetchone()[0]


def _add_day(data_dir: Path, late_events: int = 1_000) -> tuple[str, int]:
    """Write one more day of usage as a new file under <data_dir>/usage/incremental/: the events of the
    last day present, moved one day on under new ids, plus `late_events` late arrivals for the day 30
    days before it (new ids, their own old date). Returns (new day, events written)."""
    import duckdb

    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    files = f"read_parquet('{data_dir}/usage/**/*.parquet', union_by_name = true)"
    last = con.execute(f"select max(cast(occurred_at as date)) from {files}").fetchone()[0]
    new_day = last + timedelta(days=1)
    out = data_dir / "usage" / "incremental" / f"events-{new_day.isoformat()}.parquet"
    out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"""
        copy (
            select * replace (occurred_at + interval 1 day as occurred_at, event_id || '-{new_day}' as event_id)
            from {files} where cast(occurred_at as date) = date '{last}'
            union all by name
            (select * replace (event_id || '-late-{new_day}' as event_id)
             from {files} where cast(occurred_at as date) = date '{last}' - 30
             order by event_id limit {int(late_events)})
        ) to '{out}' (format parquet, compression zstd)
    """)
    return new_day.isoformat(), con.execute(f"select count(*) from read_parquet('{out}')").fetchone()[0]


def run_bench(events: int, customers: int, days: int, work_dir: Path, stages: str,
              say: Callable[[str], None] = print) -> dict:
    wanted = [s.strip() for s in stages.split(",") if s.strip()]
    data_dir, warehouse = work_dir / "data", work_dir / "bench.duckdb"
    spark_env = {"AI_MARGIN_SPARK_DIR": str(work_dir / "spark")}  # never the user's own Spark metastore
    say(f"Benchmark: {events:,} events, {customers:,} customers, {days} days on "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    results: dict[str, dict] = {}

    def report(name: str, seconds: float, peak: float, rows: int | None = None) -> None:
        rate = f"{rows / seconds:>12,.0f} rows/s" if rows else " " * 19
        say(f"  {name:<12} {seconds:>8.1f} s  {rate}  peak {peak:>7,.0f} MiB")
        results[name] = {"seconds": round(seconds, 2), "peak_mib": round(peak), "rows": rows}

    if "generate" in wanted:
        shutil.rmtree(work_dir, ignore_errors=True)
        seconds, peak, _ = _run_stage(["generate", "--data-dir", str(data_dir), "--events", str(events),
                                       "--customers", str(customers), "--days", str(days), "--scenario", "all"])
        rows = json.loads((data_dir / "manifest.json").read_text())["events"]
        report("generate", seconds, peak, rows)
    if not (data_dir / "manifest.json").exists():
        raise StageFailed(f"no generated data in {data_dir}: include the generate stage")
    rows = json.loads((data_dir / "manifest.json").read_text())["events"]
    if "load" in wanted:
        for f in warehouse.parent.glob(warehouse.name + "*"):
            f.unlink()
        shutil.rmtree(warehouse.parent / ".dlt", ignore_errors=True)
        seconds, peak, _ = _run_stage(["load", "--data-dir", str(data_dir), "--warehouse", str(warehouse),
                                       "--only", "usage_events"])
        report("load parquet", seconds, peak, rows)
        seconds, peak, _ = _run_stage(["load", "--data-dir", str(data_dir), "--warehouse", str(warehouse),
                                       "--only", "model_prices", "--only", "stripe", "--only", "revenue_events",
                                       "--only", "provider_costs", "--only", "overhead"])
        report("load other", seconds, peak)
    if "load-jsonl" in wanted:
        jsonl_dir = work_dir / "jsonl"
        shutil.rmtree(jsonl_dir, ignore_errors=True)
        n = _jsonl_copy(data_dir, jsonl_dir / "usage", min(rows, 1_000_000))
        jsonl_wh = work_dir / "jsonl.duckdb"
        for f in work_dir.glob("jsonl.duckdb*"):
            f.unlink()
        seconds, peak, _ = _run_stage(["load", "--data-dir", str(jsonl_dir), "--warehouse", str(jsonl_wh),
                                       "--only", "usage_events"])
        report("load jsonl", seconds, peak, n)
    if "build" in wanted:
        seconds, peak, _ = _run_stage(["build", "--warehouse", str(warehouse), "--quiet"])
        report("dbt build", seconds, peak, rows)
    if "floor" in wanted:
        # the same core work hand-written as one DuckDB script (ai_margin/floor.py), on the same data
        seconds, peak, out = _run_stage([str(data_dir), str(warehouse)], module="ai_margin.floor")
        report("floor", seconds, peak, rows)
        _say_floor_check(json.loads(out.strip().splitlines()[-1]), warehouse, say)
    if "lakehouse" in wanted:
        # the raw tables copied to Parquet and declared on a fresh local Spark (docs/spark.md), in the work
        # dir whatever bucket the user's dlt config names
        lakehouse = work_dir / "lakehouse"
        for old in (work_dir / "spark", lakehouse, dlt_dir(warehouse) / "lakehouse"):
            shutil.rmtree(old, ignore_errors=True)
        seconds, peak, _ = _run_stage(["lakehouse", "--warehouse", str(warehouse), "--bucket-url", str(lakehouse)],
                                      env=spark_env)
        report("lakehouse", seconds, peak)
    if "spark" in wanted:
        # the same `ai-margin build` as the DuckDB stage, on the spark target: seeds, models, data tests
        seconds, peak, _ = _run_stage(["build", "--target", "spark", "--warehouse", str(warehouse), "--quiet"],
                                      env=spark_env)
        report("spark build", seconds, peak, rows)
    if "incremental" in wanted:
        # one more day of events (and a few late ones for an older day), loaded and built incrementally
        day, added = _add_day(data_dir)
        say(f"  adding {day}: {added:,} events (1,000 of them late, for {day} minus 30 days)")
        # every source, as `ai-margin run` loads them: those whose files did not change are skipped
        seconds, peak, _ = _run_stage(["load", "--data-dir", str(data_dir), "--warehouse", str(warehouse)])
        report("load 1 day", seconds, peak, added)
        seconds, peak, _ = _run_stage(["build", "--warehouse", str(warehouse), "--quiet"])
        report("incr. build", seconds, peak, added)
        _say_slowest(warehouse, say)
    _say_ratios(results, say)
    return results


def _say_ratios(results: dict, say: Callable[[str], None]) -> None:
    """What the guide asks of the engine, as ratios of figures measured in this run."""
    seconds = {name: r["seconds"] for name, r in results.items()}
    lines = []
    if "floor" in seconds and "dbt build" in seconds:
        lines.append(f"full build / floor {seconds['dbt build'] / seconds['floor']:.1f}x")
        if "load parquet" in seconds:
            load_build = seconds["load parquet"] + seconds["load other"] + seconds["dbt build"]
            lines.append(f"load + full build / floor {load_build / seconds['floor']:.1f}x")
    if "floor" in seconds and "spark build" in seconds:
        lines.append(f"spark build / floor {seconds['spark build'] / seconds['floor']:.1f}x")
    if "dbt build" in seconds and "spark build" in seconds:
        lines.append(f"spark build / duckdb build {seconds['spark build'] / seconds['dbt build']:.1f}x")
    if {"load parquet", "dbt build", "load 1 day", "incr. build"} <= seconds.keys():
        full = seconds["load parquet"] + seconds["load other"] + seconds["dbt build"]
        day = seconds["load 1 day"] + seconds["incr. build"]
        lines.append(f"one more day (load + build) / full load + build {day / full:.0%}")
    if lines:
        say("  ratios: " + "; ".join(lines))


def _say_floor_check(floor: dict, warehouse: Path, say: Callable[[str], None]) -> None:
    """The floor priced the same calls as the marts: its cost must equal their estimated usage cost."""
    import duckdb
    from decimal import Decimal

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cost, revenue = con.execute("select sum(estimated_usage_cost_usd), sum(revenue_usd) "
                                    "from marts.fct_margin_waterfall").fetchone()
    finally:
        con.close()
    say(f"    floor: {floor['rows']:,} day x customer x feature rows; usage cost {Decimal(floor['cost_usd']):,.2f} "
        f"(marts {cost:,.2f}), revenue {Decimal(floor['revenue_usd']):,.2f} (marts {revenue:,.2f}: the floor "
        f"leaves out credit notes, refunds and revenue events)")


def _say_slowest(warehouse: Path, say: Callable[[str], None], n: int = 6) -> None:
    """The slowest nodes of the last dbt build (where an incremental build spends its time)."""
    from ai_margin.paths import dbt_target_dir

    path = dbt_target_dir(warehouse) / "target" / "run_results.json"
    if not path.exists():
        return
    run = json.loads(path.read_text())
    nodes = sorted(run.get("results", []), key=lambda r: -r.get("execution_time", 0))
    total = sum(r.get("execution_time", 0) for r in nodes)
    say(f"    dbt: {len(nodes)} nodes, {total:.1f} s in nodes; slowest: " + ", ".join(
        f"{r['unique_id'].split('.')[2]} {r['execution_time']:.1f} s" for r in nodes[:n]))
