import pytest

from correlation import MethodConfig


def test_defaults_and_report_config():
    cfg = MethodConfig()
    assert cfg.to_dict() == {
        "drop_threshold_hpa": 5.0,
        "window_hours": 24,
        "lag_days": 1,
        "min_pressure_coverage": 0.75,
        "baseline_days": 84,
        "followup_days": 84,
        "pressure_variable": "surface_pressure",
    }
    assert cfg.migraine_kinds == ("migraine",)
    assert cfg.min_covered_days == 28 and cfg.min_baseline_onsets == 4
    assert cfg.confidence == 0.95


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("drop_threshold_hpa", 0),
        ("drop_threshold_hpa", float("nan")),
        ("window_hours", 0),
        ("window_hours", 2.5),
        ("lag_days", -1),
        ("min_pressure_coverage", 1.5),
        ("baseline_days", 0),
        ("followup_days", True),
        ("pressure_variable", "temperature"),
        ("migraine_kinds", ()),
        ("migraine_kinds", "migraine"),
        ("min_covered_days", -3),
        ("min_baseline_onsets", 1.5),
        ("confidence", 1.0),
    ],
)
def test_validation_names_field(field, value):
    with pytest.raises(ValueError, match=field):
        MethodConfig(**{field: value})


def test_from_mapping():
    cfg = MethodConfig.from_mapping(
        {"drop_threshold_hpa": 6, "pressure_variable": "pressure_msl",
         "migraine_kinds": ["migraine", "probable_migraine"]}
    )
    assert cfg.drop_threshold_hpa == 6
    assert cfg.migraine_kinds == ("migraine", "probable_migraine")
    assert cfg.to_dict()["pressure_variable"] == "pressure_msl"
    with pytest.raises(ValueError, match="threshold"):
        MethodConfig.from_mapping({"threshold": 5})


def test_frozen():
    with pytest.raises(AttributeError):
        MethodConfig().lag_days = 2  # type: ignore[misc]
