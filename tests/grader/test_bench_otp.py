"""`academy bench otp` runs end to end; the figures themselves are not judged here (--quick)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ACADEMY = Path(sys.executable).with_name("academy")
FIGURES = (
    "GenServer.call round trips, 1 client",
    "GenServer.call round trips, 10 concurrent clients",
    "GenServer.cast throughput",
    "spawn + exit",
    "memory per idle GenServer",
    "supervisor restart latency",
)


def run_bench(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACADEMY), "bench", "otp", "--quick", *options],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_bench_otp_json_has_every_figure_with_three_contenders_ratios_and_targets():
    result = run_bench("--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["quick"] is True
    names = [figure["name"] for figure in report["figures"]]
    assert [any(n.startswith(prefix) for n in names) for prefix in FIGURES] == [True] * 6
    for figure in report["figures"]:
        assert figure["otp"] > 0 and figure["floor"] > 0
        assert set(figure) >= {"unit", "pykka", "otp_vs_floor", "otp_vs_pykka", "targets"}
        for target in figure["targets"]:
            assert target["passed"] in (True, False)
            assert target["value"] is not None
    judged = {t["description"] for f in report["figures"] for t in f["targets"]}
    assert judged == {
        "otp >= 0.6x floor",
        "otp >= 0.5x floor",
        "otp >= 3x pykka",
        "otp <= 6 KB",
    }


def test_bench_otp_prints_one_line_per_figure_with_otp_floor_pykka_and_verdicts():
    result = run_bench()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    figure_lines = [line for line in lines if " | floor " in line]
    assert len(figure_lines) == 6
    for line in figure_lines:
        assert "otp " in line and "pykka " in line and "otp/floor " in line
    assert "PASS" in result.stdout or "FAIL" in result.stdout
    assert lines[-1] in ("all targets met", "SOME TARGETS MISSED")
