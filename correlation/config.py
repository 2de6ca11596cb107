"""Method configuration: every number of the method is a field here (DESIGN method 1-11)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

PRESSURE_VARIABLES = ("surface_pressure", "pressure_msl")

#: The keys of the report's ``config`` object (report contract).
REPORT_CONFIG_KEYS = (
    "drop_threshold_hpa",
    "window_hours",
    "lag_days",
    "min_pressure_coverage",
    "baseline_days",
    "followup_days",
    "pressure_variable",
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class MethodConfig:
    """Settings of the analysis; defaults are DESIGN.md's (DESIGN method 1-10)."""

    drop_threshold_hpa: float = 5.0
    window_hours: int = 24
    lag_days: int = 1
    min_pressure_coverage: float = 0.75
    baseline_days: int = 84
    followup_days: int = 84
    pressure_variable: str = "surface_pressure"
    migraine_kinds: tuple[str, ...] = ("migraine",)
    min_covered_days: int = 28
    min_baseline_onsets: int = 4
    confidence: float = 0.95

    def __post_init__(self) -> None:
        self._check_pressure_rules()
        self._check_periods_and_guardrails()
        kinds = self.migraine_kinds
        if isinstance(kinds, str) or not isinstance(kinds, tuple | list | frozenset | set):
            raise ValueError("migraine_kinds must be a tuple of attack kinds")
        if not kinds or not all(isinstance(k, str) and k for k in kinds):
            raise ValueError("migraine_kinds must hold at least one non-empty kind")
        object.__setattr__(self, "migraine_kinds", tuple(kinds))
        if not _is_number(self.confidence) or not 0.0 < self.confidence < 1.0:
            raise ValueError("confidence must be strictly between 0 and 1")

    def _check_pressure_rules(self) -> None:
        """Threshold (hPa), window (hours), lag (days), coverage share, variable (points 1-3)."""
        if not _is_number(self.drop_threshold_hpa) or not (
            math.isfinite(self.drop_threshold_hpa) and self.drop_threshold_hpa > 0
        ):
            raise ValueError("drop_threshold_hpa must be a finite number of hPa > 0")
        if not _is_int(self.window_hours) or not 1 <= self.window_hours <= 240:
            raise ValueError("window_hours must be an integer number of hours in 1..240")
        if not _is_int(self.lag_days) or not 0 <= self.lag_days <= 14:
            raise ValueError("lag_days must be an integer number of days in 0..14")
        if not _is_number(self.min_pressure_coverage) or not (
            0.0 <= self.min_pressure_coverage <= 1.0
        ):
            raise ValueError("min_pressure_coverage must be a share between 0 and 1")
        if self.pressure_variable not in PRESSURE_VARIABLES:
            raise ValueError(
                f"pressure_variable must be one of {', '.join(PRESSURE_VARIABLES)}"
            )

    def _check_periods_and_guardrails(self) -> None:
        """Period lengths (days, point 7) and guardrail counts (point 10)."""
        for name in ("baseline_days", "followup_days"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name} must be a positive integer number of days")
        for name in ("min_covered_days", "min_baseline_onsets"):
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer")

    def to_dict(self) -> dict[str, Any]:
        """The report's ``config`` object: the 7 contract keys (DESIGN report contract)."""
        return {key: getattr(self, key) for key in REPORT_CONFIG_KEYS}

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> MethodConfig:
        """Build from a mapping (e.g. TOML/JSON); unknown keys raise ValueError (DESIGN method)."""
        known = {f.name for f in fields(cls)}
        for key in mapping:
            if key not in known:
                raise ValueError(f"unknown method setting: {key}")
        values = dict(mapping)
        if "migraine_kinds" in values and isinstance(values["migraine_kinds"], list):
            values["migraine_kinds"] = tuple(values["migraine_kinds"])
        return cls(**values)
