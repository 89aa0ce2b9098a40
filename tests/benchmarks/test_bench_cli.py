"""`tdkt bench` at a tiny size: it prints every figure and writes them all as JSON with
their baseline, ratio and target. A smoke test of the tool: nothing here asserts a time."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from models.db import Database
from tests.conftest import PG_URL
from web.cli import main

EVERY_FIGURE = [
    "transition.sqlite", "transition.sqlite.core", "transition.sqlite.bare_submit",
    "pages.queue.p50", "pages.queue.p95", "pages.queue.rps",
    "pages.proposal.p95", "pages.dashboard.rps", "pages.queue.rendered.p95",
    "pages.dashboard.rendered.rps", "pages.queue.statements", "bulk.checks",
    "bulk.export.seconds", "bulk.export.memory", "bulk.decision", "sweep.sqlite",
    "sweep.sqlite.idle",
]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    out = tmp_path_factory.mktemp("bench") / "figures.json"
    result = CliRunner().invoke(main, ["bench", "--tiny", "--json", str(out)])
    assert result.exit_code == 0, result.output
    return result.output, json.loads(Path(out).read_text(encoding="utf-8"))


def test_the_table_shows_every_figure_with_its_baseline_ratio_and_target(
        tiny_run: tuple[str, dict]) -> None:
    output, data = tiny_run
    for header in ("median", "baseline", "ratio", "target", "met"):
        assert header in output
    for figure in data["figures"]:
        assert figure["label"] in output
    # The bulk figures time the product's own calls, and say so.
    assert "workflow.decisions.issuing.issue" in output
    assert "workflow.decisions.exports.write_list" in output


def test_the_json_holds_every_figure_with_baseline_ratio_target_and_verdict(
        tiny_run: tuple[str, dict]) -> None:
    output, data = tiny_run
    figures = {f["key"]: f for f in data["figures"]}
    assert set(EVERY_FIGURE) <= set(figures)
    for key in EVERY_FIGURE:
        figure = figures[key]
        assert {"value", "unit", "baseline", "ratio", "target", "target_kind", "met",
                "samples"} <= set(figure)
        assert figure["value"] > 0
    transition = figures["transition.sqlite"]
    assert transition["ratio"] == pytest.approx(transition["value"] / transition["baseline"])
    assert transition["target"] == 2.0 and isinstance(transition["met"], bool)
    # The floor through SQLAlchemy Core and the submit's statements in bare SQL are shown
    # beside the floor for information, judged against no target.
    for key in ("transition.sqlite.core", "transition.sqlite.bare_submit"):
        assert figures[key]["target"] is None and figures[key]["met"] is None
        assert figures[key]["label"] in output
    assert data["machine"]["nproc"] and data["sizes"]["proposals"] > 0


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="TDKT_TEST_DATABASE_URL is not set")
def test_postgresql_runs_in_a_schema_of_its_own(tmp_path: Path) -> None:
    url = str(PG_URL)
    out = tmp_path / "pg.json"
    result = CliRunner().invoke(main, ["bench", "--tiny", "--only", "transition",
                                       "--database-url", url, "--json", str(out)])
    assert result.exit_code == 0, result.output
    keys = {f["key"] for f in json.loads(out.read_text(encoding="utf-8"))["figures"]}
    assert {"transition.postgresql", "transition.postgresql.core",
            "transition.postgresql.bare_submit", "transition.postgresql.concurrent"} <= keys
    with Database(url).engine.connect() as conn:  # the run's schema is gone
        left = conn.execute(text("SELECT count(*) FROM information_schema.schemata "
                                 "WHERE schema_name = :name"),
                            {"name": f"tdkt_bench_{os.getpid()}"}).scalar()
    assert left == 0


def test_the_fast_lane_is_measured_against_the_plain_flush_only_when_asked(
        tiny_run: tuple[str, dict], tmp_path: Path) -> None:
    assert not any(f["key"].startswith("fastpath.") for f in tiny_run[1]["figures"])
    out = tmp_path / "lanes.json"
    result = CliRunner().invoke(main, ["bench", "--tiny", "--only", "fastpath",
                                       "--json", str(out)])
    assert result.exit_code == 0, result.output
    figures = {f["key"]: f for f in json.loads(out.read_text(encoding="utf-8"))["figures"]}
    assert set(figures) == {"fastpath.sqlite.action", "fastpath.sqlite.decision"}
    for figure in figures.values():
        # Both lanes ran every round; the verdict is whether the lane saves 15%.
        assert len(figure["samples"]) == len(figure["baseline_samples"]) == 2
        assert figure["target"] == 0.85 and isinstance(figure["met"], bool)
        assert figure["label"] in result.output
