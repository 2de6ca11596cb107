"""What a report depends on besides the data: the method settings and the grid, as one value."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from correlation import MethodConfig


@dataclass(frozen=True)
class ReportSettings:
    """The method configuration and the grid size (degrees) every report is computed with."""

    method: MethodConfig = field(default_factory=MethodConfig)
    grid_degrees: float = 0.1

    def to_dict(self) -> dict[str, Any]:
        """Every method field and the grid size, JSON-safe (stored beside each snapshot)."""
        values = dataclasses.asdict(self.method)
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
        return {**out, "grid_degrees": float(self.grid_degrees)}
