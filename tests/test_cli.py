from conftest import run_cli

SUBCOMMANDS = ["generate", "load", "build", "run", "status", "summary", "bench"]


def test_top_level_help_lists_every_subcommand():
    out = run_cli("--help").stdout
    for sub in SUBCOMMANDS:
        assert sub in out


def test_each_subcommand_explains_itself():
    for sub in SUBCOMMANDS:
        out = run_cli(sub, "--help").stdout
        assert f"usage: ai-margin {sub}" in out
        assert len(out.splitlines()) > 4


def test_common_options_on_data_commands():
    for sub in ["load", "run"]:
        out = run_cli(sub, "--help").stdout
        assert "--data-dir" in out and "--warehouse" in out
    for sub in ["build", "status", "summary"]:
        assert "--warehouse" in run_cli(sub, "--help").stdout


def test_missing_data_dir_fails_with_one_line_reason(tmp_path):
    proc = run_cli("load", "--data-dir", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "w.duckdb"),
                   check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0
    assert "data directory not found" in proc.stderr


def test_status_without_warehouse_fails_cleanly(tmp_path):
    proc = run_cli("status", "--warehouse", str(tmp_path / "missing.duckdb"), check=False)
    assert proc.returncode == 1
    assert "warehouse not found" in proc.stderr


def test_unknown_scenario_is_rejected(tmp_path):
    proc = run_cli("generate", "--data-dir", str(tmp_path), "--scenario", "meteor_strike", check=False)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


def test_a_failed_bench_stage_is_one_readable_error(tmp_path):
    # data generated, nothing loaded: the build stage fails
    proc = run_cli("bench", "--events", "500", "--customers", "5", "--days", "5", "--stages", "generate,build",
                   "--work-dir", str(tmp_path / "bench"), check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "stage `ai-margin build" in proc.stderr and "exited with 1" in proc.stderr
    assert "warehouse not found" in proc.stderr
    proc = run_cli("bench", "--stages", "build", "--work-dir", str(tmp_path / "empty"), check=False)
    assert proc.returncode == 1 and "include the generate stage" in proc.stderr


def test_secrets_never_reach_an_error_message(tmp_path):
    secret = "sk-admin-0123456789abcdef"
    proc = run_cli("load", "--data-dir", str(tmp_path / secret), check=False,
                   env={"OPENAI_ADMIN_KEY": secret})
    assert proc.returncode == 1 and "data directory not found" in proc.stderr
    assert secret not in proc.stderr + proc.stdout and "<OPENAI_ADMIN_KEY>" in proc.stderr


def test_dlt_telemetry_is_off_unless_asked_for():
    import ai_margin.load  # noqa: F401 (sets the default)
    from dlt.common.configuration import resolve_configuration
    from dlt.common.configuration.specs import RuntimeConfiguration

    assert resolve_configuration(RuntimeConfiguration()).dlthub_telemetry is False


def test_a_warehouse_held_open_elsewhere_gets_a_clear_message(built_warehouse, tmp_path):
    import shutil
    import subprocess
    import sys

    warehouse = tmp_path / "held.duckdb"
    shutil.copy2(built_warehouse, warehouse)
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; "
                               f"con = duckdb.connect({str(warehouse)!r}, read_only=True); "
                               "print('open', flush=True); time.sleep(120)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        proc = run_cli("build", "--warehouse", str(warehouse), "--quiet", check=False)
    finally:
        holder.kill()
    assert proc.returncode == 1, proc.stdout
    assert "is open in another process" in proc.stderr and "held.published" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
