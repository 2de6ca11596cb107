"""``migraine-weather cohort --subgroup/--include-insufficient`` (issue #13, A8)."""

from __future__ import annotations

import json

from tests.conftest import CliRunner


def test_subgroup_rule_and_flags(db_url):
    runner = CliRunner(db_url)
    assert runner.invoke("demo", "--seed-only").exit_code == 0
    everyone = json.loads(runner.invoke("cohort", "--clinician", "clinician@demo.example").output)
    assert everyone["n_patients"] == 3 and everyone["subgroup"] is None
    assert everyone["comparison"]["available"] is False
    assert {r["group"] for r in everyone["rows"]} == {"treated"}
    strict = runner.invoke("cohort", "--clinician", "clinician@demo.example", "--subgroup",
                           "sensitive", "--min-ratio", "1000", "--include-insufficient")
    assert strict.exit_code == 0, strict.output
    data = json.loads(strict.output)
    assert data["n_patients"] == 0 and data["includes_insufficient"] is True
    assert "at least 1000" in data["subgroup"]["rule"]
    assert len(data["subgroup"]["not_in_subgroup"]) == 3
    bad = runner.invoke("cohort", "--clinician", "clinician@demo.example", "--subgroup", "x")
    assert bad.exit_code == 2 and "--subgroup" in bad.output
