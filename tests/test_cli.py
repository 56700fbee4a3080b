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
