"""ForceUnit: a brigade-sized unit of one side, placed on the grid."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from dmzsim.model.forces import SIDE_NAMES, Posture
from mesa.discrete_space import CellAgent

if TYPE_CHECKING:
    from dmzsim.model.model import CeasefireModel


class ForceUnit(CellAgent):
    """A unit whose numbers live in the model's ForceTable row ``row``.

    The agent owns its place on the map and its behaviour (where to stand for its
    posture); the arithmetic of strength and readiness is done column-wise by the model,
    so these attributes are views, not copies.
    """

    def __init__(self, model: CeasefireModel, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def side(self) -> str:
        """'RU' or 'UA', read from the unit's row."""
        return SIDE_NAMES[int(self.model.forces.side[self.row])]

    @property
    def strength(self) -> float:
        """Personnel, read from the unit's row."""
        return float(self.model.forces.strength[self.row])

    @property
    def readiness(self) -> float:
        """Readiness, 0 to 1 (combat power = strength x readiness), read from the row."""
        return float(self.model.forces.readiness[self.row])

    @property
    def posture(self) -> Posture:
        """What the unit is doing, read from its row."""
        return Posture(int(self.model.forces.posture[self.row]))

    @property
    def sector(self) -> int:
        """The sector the unit stands on or is ordered to (-1: a reserve on none)."""
        return int(self.model.forces.sector[self.row])

    def order(self, posture: Posture, sector: int, arrive_day: int) -> None:
        """Take a new posture on a sector; the unit counts there from ``arrive_day``."""
        f = self.model.forces
        if sector != f.sector[self.row]:  # sent elsewhere: it stands spread on its sector
            f.front_from[self.row] = f.front_to[self.row] = np.nan
        f.posture[self.row], f.sector[self.row] = posture, sector
        f.arrive_day[self.row] = arrive_day
        self.model.movement.ordered.add(self.row)

    def stand_at(self, coord: tuple[int, int] | None) -> None:
        """Stand on the cell at ``coord``, where its posture puts it (``Movement.place``);
        None: stay where it is (its side has no ground)."""
        if coord is not None and (self.cell is None or self.cell.coordinate != coord):
            self.cell = self.model.grid[coord]

    def disband(self) -> None:
        """Leave the map; the remnant's personnel is returned to the side's depot."""
        self.model.forces.disband(self.row)
        self.remove()
