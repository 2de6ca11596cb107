"""The calendar days the service handles, declared once for the diary and the readings.

From the reanalysis archive's first day (Open-Meteo's ERA5 archive starts on 1940-01-01, so
no pressure can be paired with an earlier day) to the end of 2100. A date outside is a typo
(year 1, year 9999) and is refused where it is typed or imported.
"""

from __future__ import annotations

from datetime import date

EARLIEST_DAY = date(1940, 1, 1)
LATEST_DAY = date(2100, 12, 31)
