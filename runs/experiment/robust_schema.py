"""The shape of ``[levers]``, ``[uncertainties]`` and ``[robustness]`` (pydantic, strict).

A robust-decision experiment separates what an agreement *chooses* (levers: any model
parameter, combined into policies) from what nobody controls (uncertainties: any model
parameter, sampled into states of the world). Each policy meets each world with the same
replicate seeds, so policy-to-policy differences within a world are paired. How they
become the experiment's arms and design is :mod:`runs.experiment.robust`; the measures
are :mod:`analysis.robustness`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from dmzsim.analysis.robustness import THRESHOLD, parse_threshold
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# As runs.experiment.schema's (which imports this module, so cannot be imported here).
MAX_SAMPLES = 1_000_000
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_+-]*$", max_length=80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

#: World-level measures beyond the means of the run outputs: P(resumption) by the horizon
#: (the mean of ``resumed``) and the mean days to resumption, counted to the horizon where
#: the offensive did not resume (a restricted mean: it varies where P alone may not).
EXTRA_MEASURES = ("p_resumption", "days_to_resumption")


class LeversSpec(_Strict):
    """``[levers]``: the policies. Either ``grid`` (parameter -> list of values: every
    combination is a policy, named from its values) or ``policies`` (name -> a table of
    lever values, e.g. the flagship's arms)."""

    grid: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(default_factory=dict)
    policies: dict[Name, dict[str, Any]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_form(self) -> LeversSpec:
        if bool(self.grid) == bool(self.policies):
            raise ValueError("give either grid (parameter -> values) or policies "
                             "(name -> lever values)")
        return self


class UncertainAxis(_Strict):
    """One uncertainty: a range (``min``, ``max``) or named values (``values``)."""

    values: list[Any] | None = Field(None, min_length=1)
    min: float | None = None
    max: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"values": data} if isinstance(data, list) else data

    @model_validator(mode="after")
    def _one_form(self) -> UncertainAxis:
        has_range = self.min is not None or self.max is not None
        if (self.values is None) == (not has_range):
            raise ValueError("give either a list of values or both min and max")
        if has_range and (self.min is None or self.max is None or not self.min < self.max):
            raise ValueError("an empty range: a range needs min < max")
        return self

    @property
    def is_range(self) -> bool:
        return self.values is None


class UncertaintiesSpec(_Strict):
    """``[uncertainties]``: the states of the world and how they are sampled.

    ``sampler``: ``lhs`` (Latin hypercube; named values are drawn as equal shares of the
    unit interval), ``sobol`` (Saltelli's sample, ranges only: it feeds Sobol' indices),
    ``grid`` (every combination; a range gives ``levels`` evenly spaced values) or
    ``table`` (the rows of a CSV ``file``, one world each)."""

    sampler: Literal["lhs", "sobol", "grid", "table"]
    parameters: dict[str, UncertainAxis] = Field(default_factory=dict)
    samples: int | None = Field(None, ge=1, le=MAX_SAMPLES)
    levels: int = Field(3, ge=2, le=1000)
    seed: int | None = Field(None, ge=0)
    file: str | None = Field(None, min_length=1)


class RobustnessSpec(_Strict):
    """``[robustness]``: how the policies are judged.

    ``thresholds``: satisficing conditions on world-level measures, all of which must hold
    in a world for the policy to satisfice there. ``rank_by``: the measures the policies
    are ranked by, lower being better (risk and cost). ``percentile``: the worst-case
    percentile over worlds (Rhodium's 90th). ``baseline_world``: the world regret of type 1
    is measured from (default: the sampled world nearest the base values)."""

    thresholds: list[str] = Field(default_factory=list)
    rank_by: list[str] = Field(default_factory=lambda: ["p_resumption"], min_length=1)
    percentile: float = Field(90.0, gt=0.0, le=100.0)
    baseline_world: int | None = Field(None, ge=0)
    flip_bins: int = Field(4, ge=2, le=20)

    @field_validator("thresholds")
    @classmethod
    def _parse(cls, items: list[str]) -> list[str]:
        for text in items:
            if THRESHOLD.match(text) is None:
                raise ValueError(f"{text!r} is not 'measure op number' (op one of <= < >= "
                                 "> ==), e.g. 'p_resumption <= 0.1'")
        return items


__all__ = ["LeversSpec", "RobustnessSpec", "UncertaintiesSpec", "parse_threshold"]
