"""The per-day table of a report: one row per local day (DESIGN report contract, ``days``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .pressure import FALSE, TRUE

DAY_KEYS: tuple[str, ...] = (
    "date", "period", "covered", "migraine_day", "headache_day", "onset", "at_risk",
    "max_fall_24h_hpa", "pressure_coverage", "exposure", "window", "classification",
)

def tristate_to_bool(v: int) -> bool | None:
    """1/0/-1 (true, false, unknown) as True/False/None."""
    return True if v == TRUE else (False if v == FALSE else None)


@dataclass(frozen=True)
class DayTable:
    """Per local day from tracking start to report date (DESIGN method 1-7).

    exposure and window are int8 (1 true, 0 false, -1 unknown); max fall in hPa (NaN = none);
    pressure coverage is a share 0-1; period and classification are str or None.
    """

    dates: np.ndarray
    period: np.ndarray
    covered: np.ndarray
    migraine_day: np.ndarray
    headache_day: np.ndarray
    onset: np.ndarray
    at_risk: np.ndarray
    max_fall_24h_hpa: np.ndarray
    pressure_coverage: np.ndarray
    exposure: np.ndarray
    window: np.ndarray
    classification: np.ndarray

    def __len__(self) -> int:
        return int(self.dates.size)

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-safe dict per day with the contract's ``days`` keys (DESIGN contract)."""
        dates = self.dates.astype(str).tolist()
        period = self.period.tolist()
        cov = self.covered.tolist()
        mig = self.migraine_day.tolist()
        head = self.headache_day.tolist()
        ons = self.onset.tolist()
        risk = self.at_risk.tolist()
        mf = [None if math.isnan(x) else x for x in self.max_fall_24h_hpa.tolist()]
        pc = self.pressure_coverage.tolist()
        exp = self.exposure.tolist()
        win = self.window.tolist()
        cls = self.classification.tolist()
        return [
            {
                "date": dates[i], "period": period[i], "covered": cov[i],
                "migraine_day": mig[i], "headache_day": head[i], "onset": ons[i],
                "at_risk": risk[i], "max_fall_24h_hpa": mf[i], "pressure_coverage": pc[i],
                "exposure": tristate_to_bool(exp[i]), "window": tristate_to_bool(win[i]),
                "classification": cls[i],
            }
            for i in range(len(dates))
        ]


