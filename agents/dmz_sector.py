"""DMZSector: one sector's stretch of the zone (or of the monitored contact line)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from mesa.discrete_space import FixedAgent

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel


class DMZSector(FixedAgent):
    """Holds monitoring coverage and what the monitors saw in one sector.

    Before a zone exists (or when there is none, as on a frozen line) the sector watches
    the line of contact in its sector; once the zone is in force it watches the zone there.
    """

    def __init__(self, model: CeasefireModel, sector: int, coverage: float) -> None:
        super().__init__(model)
        self.sector = sector
        self.coverage = coverage
        self.detections = 0
        self.violations = 0
        self.violations_detected = 0
        self.first_buildup_day: float = np.nan

    def observe(self, day: int, buildup_present: bool, draw: float, violations: int,
                violations_seen: int) -> bool:
        """Record one day of watching; True when a build-up is seen for the first time.

        The random numbers are drawn by the caller for all sectors at once, so that every
        sector draws every day (common random numbers across arms).
        """
        self.violations += violations
        self.violations_detected += violations_seen
        if not (buildup_present and draw < self.coverage):
            return False
        self.detections += 1
        if np.isnan(self.first_buildup_day):
            self.first_buildup_day = day
            return True
        return False

    def reset_buildup(self) -> None:
        """The build-up dispersed: a later one is a new warning."""
        self.first_buildup_day = np.nan
