"""``migraine-weather power`` (issue #12): the table's shape, JSON, bad input, clinic rates."""

from __future__ import annotations

import json

from click.testing import CliRunner as ClickRunner

from cli.main import main
from tests.conftest import CliRunner

SMALL = ["--patients", "4,8", "--weeks", "12,24", "--ratio", "0.5", "--simulations", "6",
         "--max-weeks", "20"]


def _run(*args: str):
    return ClickRunner().invoke(main, ["power", *args], env={"MIGRAINE_WEATHER_CONFIG": ""},
                                catch_exceptions=False)


def test_json_has_every_cell_and_the_one_patient_answer():
    result = _run(*SMALL, "--ratio", "0.5,0.75", "--format", "json", "--seed", "3")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    cells = {(c["ratio"], c["patients"], c["weeks"]) for c in data["cohort"]}
    assert cells == {(r, k, w) for r in (0.5, 0.75) for k in (4, 8) for w in (12, 24)}
    for c in data["cohort"]:
        assert 0 <= c["power"] <= 1 and c["simulations"] == 6 and c["mc_se"] >= 0
    assert data["inputs"] == {"base_rate": 0.12, "sensitivity": 3.0, "window_share": 0.33,
                              "tau": 0.3, "baseline_weeks": 12}
    one = data["one_patient"]
    assert [o["ratio"] for o in one] == [0.5, 0.75]
    assert one[0]["current_weeks"] == 12 and one[0]["curve"][0]["weeks"] == 12
    assert one[0]["answer"]
    # seeded: the same command gives the same figures
    assert json.loads(_run(*SMALL, "--ratio", "0.5,0.75", "--format", "json",
                           "--seed", "3").output) == data


def test_text_table_has_a_row_per_patient_count_and_a_column_per_length():
    result = _run(*SMALL, "--base-rate", "0.2", "--sensitivity", "2", "--window-share", "0.4")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "not medical advice" in out
    assert "onset probability 0.200" in out and "pressure-fall days 40% of days" in out
    header = next(line for line in out.splitlines() if line.startswith("patients"))
    assert "12 weeks" in header and "24 weeks" in header
    rows = [line.split() for line in out.splitlines() if line.strip().startswith(("4 ", "8 "))]
    assert [r[0] for r in rows] == ["4", "8"]
    assert all(sum(t.endswith("%") for t in r) == 2 for r in rows)
    assert "One patient, true sensitivity ratio 0.5" in out


def test_bad_input_names_the_option():
    result = ClickRunner().invoke(main, ["power", "--patients", "ten"])
    assert result.exit_code == 2 and "--patients" in result.output
    result = ClickRunner().invoke(main, ["power", *SMALL, "--window-share", "1.5"])
    assert result.exit_code == 1 and "window_share" in result.output


def test_rates_from_a_clinicians_stored_reports(db_url):
    runner = CliRunner(db_url)  # the demo creates its own tables, as in test_demo.py
    assert runner.invoke("demo", "--seed-only").exit_code == 0
    result = runner.invoke("power", "--from-clinician", "clinician@demo.example",
                           "--patients", "3", "--weeks", "12", "--ratio", "0.5",
                           "--simulations", "4", "--max-weeks", "12", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["clinic_patients"] == 3
    assert 0 < data["inputs"]["base_rate"] < 1 and data["inputs"]["sensitivity"] > 1
    assert 0 < data["inputs"]["window_share"] < 1
    not_clinician = runner.invoke("power", "--from-clinician", "patient1@demo.example")
    assert not_clinician.exit_code == 1 and "not a clinician" in not_clinician.output
