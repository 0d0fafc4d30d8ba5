"""``dmzsim calibrate``: fit model parameters to an experiment's targets.

* :mod:`.spec`: the calibration file (parameters and ranges, targets, budget, seed);
* :mod:`.search`: the Optuna search, each trial a small experiment through the runner;
* :mod:`.summary`: the trials, the accepted set, the best set and the report.
"""

from dmzsim.runs.calibration.spec import Calibration, CalibrationError, load

__all__ = ["Calibration", "CalibrationError", "load"]
