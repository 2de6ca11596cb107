"""The power page answers from a cache by its inputs, computes in the background, and shows
the CLI's figures for the same seed (issue #12)."""

from __future__ import annotations

import json
import re
import time

import pytest
from click.testing import CliRunner as ClickRunner

from cli.main import main
from correlation.power import simulated_patients
from tests.web.conftest import login, make_world
from tracker.reports.power import ANSWERS
from web import cohort_pages

ENTERED = {"base_rate": "0.15", "sensitivity": "2.5", "window_share": "0.3", "tau": "0.3",
           "baseline_weeks": "12"}


def _url(simulations: int, **extra: str) -> str:
    query = {"run": "1", "source": "entered", **ENTERED, "simulations": str(simulations),
             **extra}
    return "/cohort/power?" + "&".join(f"{k}={v}" for k, v in query.items())


@pytest.fixture
def clinician(client, session_factory):
    """A clinician without patients (the page then uses the values entered), logged in."""
    world = make_world(session_factory, ("unlinked",))
    login(client, world.emails["unlinked"])
    ANSWERS.clear()
    yield
    ANSWERS.clear()


def _finished(client, url: str, limit: float = 300.0) -> str:
    """The page once its table is there (it refreshes itself while computing)."""
    end = time.monotonic() + limit
    while True:
        page = client.get(url).get_data(as_text=True)
        if "Cohort power" in page or time.monotonic() > end:
            return page
        assert 'http-equiv="refresh"' in page
        time.sleep(0.2)


def test_a_repeated_request_does_not_simulate_again(client, clinician):
    first = _finished(client, _url(2))
    assert "True sensitivity ratio 0.5" in first
    after_first = simulated_patients()
    second = client.get(_url(2)).get_data(as_text=True)
    assert simulated_patients() == after_first  # not one patient simulated again
    assert "Cohort power" in second and 'http-equiv="refresh"' not in second
    assert _cells(second) == _cells(first)
    # other inputs are another answer: they are simulated
    _finished(client, _url(2, tau="0.5"))
    assert simulated_patients() > after_first


def test_a_slow_answer_shows_that_it_is_being_computed(client, clinician, monkeypatch):
    monkeypatch.setattr(cohort_pages, "POWER_WAIT_SECONDS", 0.0)
    before = simulated_patients()
    page = client.get(_url(3)).get_data(as_text=True)
    assert 'role="status"' in page and "being computed" in page
    assert '<meta http-equiv="refresh" content="3">' in page
    assert "Cohort power" not in page and "Run the simulation" in page
    done = _finished(client, _url(3))
    assert "Cohort power" in done and "being computed" not in done
    assert simulated_patients() > before


def _cells(page: str) -> list[str]:
    """Every cohort power cell of the page, table by table, row by row."""
    return re.findall(r"<td>(\d+% ± \d+)</td>", page)


def test_the_page_shows_the_cli_figures_for_the_same_seed(client, clinician):
    page = _finished(client, _url(2))
    result = ClickRunner().invoke(main, [
        "power", "--base-rate", "0.15", "--sensitivity", "2.5", "--window-share", "0.3",
        "--tau", "0.3", "--baseline-weeks", "12", "--simulations", "2",
        "--patients", ",".join(map(str, cohort_pages.POWER_PATIENTS)),
        "--weeks", ",".join(map(str, cohort_pages.POWER_WEEKS)),
        "--ratio", ",".join(map(str, cohort_pages.POWER_RATIOS)),
        "--single-simulations", str(cohort_pages.SINGLE_SIMULATIONS), "--seed", "0",
        "--format", "json"], env={"MIGRAINE_WEATHER_CONFIG": ""}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    cells = {(c["ratio"], c["patients"], c["weeks"]): c for c in data["cohort"]}
    expected = [f"{cells[r, k, w]['power'] * 100:.0f}% ± {cells[r, k, w]['mc_se'] * 100:.0f}"
                for r in cohort_pages.POWER_RATIOS for k in cohort_pages.POWER_PATIENTS
                for w in cohort_pages.POWER_WEEKS]
    assert _cells(page) == expected
    assert len({c["power"] for c in data["cohort"]}) > 1  # not one figure everywhere
    for one in data["one_patient"]:
        assert one["answer"] in page
