"""Where each file of a results folder, a published reference and a calibration lives.

Each of these folders is written by one part of the code and read by others: the runner
writes a results folder that the loader, the report, ``dmzsim publish`` and ``dmzsim
validate`` read; ``dmzsim publish`` writes a reference that ``dmzsim verify``, the README
and the validation page read; ``dmzsim calibrate`` writes a folder that an experiment's
``design.from_calibration`` reads. Every file name is spelled here and nowhere else, so
writer and readers cannot drift apart.

The module sits in ``analysis/`` because analysis reads run outputs and must not import
``runs/``, while ``runs/`` may import ``analysis/``: both can import it. It only builds
paths; it never reads or writes a file.

Layout of a results folder ``<out>/<experiment>/`` (:class:`ResultsLayout`)::

    experiment.toml     resolved config (every model parameter spelled out)
    manifest.json       versions, git commit, config hash, seeds, status, timings
    map.toml            a copy of the experiment's map file, if it names one
    design.json         design method, settings and SALib problem
    design.parquet      one row per design point: point + applied parameter values
    design_sample.parquet  raw sampler matrix (lhs/sobol/morris), for SALib analysers
    runs/               summary records: <run_id>.parquet, one per finished run ...
    runs/parts/         ... and part-*.parquet files: a chunk's runs, and the merged files
    series/             per-day series, <run_id>.parquet (only if outputs.series_every)
    failures/           one record per failed run: error, message, traceback
    quarantine/         unreadable files set aside by a resume (their runs ran again)
    report.md, report.html, figures/   written by the report (dmzsim report FOLDER)

and beside it ``.<experiment>.lock`` (the writer's lock) and ``<experiment>.prev`` (the
results a fresh run moved aside).

Layout of a published experiment's reference ``runs/reference/<name>/``
(:class:`ReferenceLayout`)::

    reference.json   what was published and how
    headline.csv     the headline table, exact digits
    headline.md      the same table for reading
    runs.parquet     one row per run: ids, seed and every summary output
    manifest.json    the results folder's manifest, without its per-run table
    experiment.toml  the resolved config the runs were made with
    figure.png       the key figure, with an SVG and a PDF of the same name beside it

Layout of a calibration's folder ``<out>/<calibration>/`` (:class:`CalibrationLayout`)::

    calibration.toml  a copy of the calibration file
    optuna.log        the search's journal
    trials/           one results folder per trial
    trials.parquet    every finished trial
    accepted.parquet  the trials that met every target
    best.toml         the best trial's parameters
    report.md         the calibration's report
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

RECORD_SUFFIX = ".parquet"
# The records of a store folder; a name starting with a dot is a writer's temporary file.
RECORDS = f"[!.]*{RECORD_SUFFIX}"


def records(folder: Path) -> list[Path]:
    """The record files in ``folder`` (none if it does not exist), in name order, so that
    every reader sees them in the same order."""
    return sorted(folder.glob(RECORDS))


@dataclass(frozen=True)
class ResultsLayout:
    """The paths of one experiment's results folder, ``root`` = ``<out>/<experiment>/``."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @classmethod
    def names(cls) -> ResultsLayout:
        """The layout relative to the folder itself: each path is just the name in it, for
        a message or help text that names a file with no folder at hand."""
        return cls(Path())

    # --- written before any run ---------------------------------------------------------
    @property
    def config(self) -> Path:
        """The resolved config the runs were made with."""
        return self.root / "experiment.toml"

    @property
    def manifest(self) -> Path:
        """Versions, git commit, config hash, seeds, sessions and the per-run table."""
        return self.root / "manifest.json"

    @property
    def map_copy(self) -> Path:
        """The copy of the experiment's map file (only if the experiment names one)."""
        return self.root / "map.toml"

    @property
    def design(self) -> Path:
        """The design's method, settings and SALib problem."""
        return self.root / "design.json"

    @property
    def design_points(self) -> Path:
        """One row per design point: the point and its applied parameter values."""
        return self.root / "design.parquet"

    @property
    def design_sample(self) -> Path:
        """The raw sampler matrix (lhs, sobol, morris) that SALib's analysers take."""
        return self.root / "design_sample.parquet"

    # --- one record per run -------------------------------------------------------------
    @property
    def runs(self) -> Path:
        """Summary records of finished runs: a file per run sent alone, until compacted."""
        return self.root / "runs"

    @property
    def parts(self) -> Path:
        """Part files of many summary records: a chunk's runs, or files merged."""
        return self.runs / "parts"

    @property
    def series(self) -> Path:
        """Per-day series, one file per run."""
        return self.root / "series"

    @property
    def failures(self) -> Path:
        """One record per run whose last attempt failed."""
        return self.root / "failures"

    @property
    def stores(self) -> tuple[Path, ...]:
        """The folders of records, created before any run."""
        return self.runs, self.parts, self.series, self.failures

    def run_file(self, run_id: str) -> Path:
        """The summary record of ``run_id``; it exists iff the run finished."""
        return self.runs / f"{run_id}{RECORD_SUFFIX}"

    def series_file(self, run_id: str) -> Path:
        """The per-day series of ``run_id``."""
        return self.series / f"{run_id}{RECORD_SUFFIX}"

    def failure_file(self, run_id: str) -> Path:
        """The failure record of ``run_id``."""
        return self.failures / f"{run_id}{RECORD_SUFFIX}"

    def part_file(self, stamp: str, token: str) -> Path:
        """A new part file; ``stamp`` (time, to the microsecond) and ``token`` (random)
        keep names unique and in the order they were written."""
        return self.parts / f"part-{stamp}-{token}{RECORD_SUFFIX}"

    @property
    def quarantine(self) -> Path:
        """Where a resume sets aside files it cannot read."""
        return self.root / "quarantine"

    # --- written by the report ----------------------------------------------------------
    @property
    def report(self) -> Path:
        """The report in Markdown."""
        return self.root / "report.md"

    @property
    def report_html(self) -> Path:
        """The same report as one HTML page."""
        return self.root / "report.html"

    @property
    def figures(self) -> Path:
        """The report's figures."""
        return self.root / "figures"

    # --- beside the folder --------------------------------------------------------------
    @property
    def lock(self) -> Path:
        """The writer's lock file: next to the folder, so that moving the folder aside
        does not move the lock."""
        return self.root.parent / f".{self.root.name}.lock"

    @classmethod
    def of_lock(cls, lock: Path) -> ResultsLayout:
        """The folder whose :attr:`lock` is ``lock``."""
        return cls(lock.with_name(lock.name[1:].removesuffix(".lock")))

    @property
    def previous(self) -> Path:
        """Where a fresh run moves the folder's earlier results."""
        return self.root.with_name(f"{self.root.name}.prev")

    def previous_removing(self, token: str) -> Path:
        """Where :attr:`previous` goes while it is deleted (hidden, unique by ``token``)."""
        return self.root.with_name(f".{self.previous.name}.removing-{token}")


@dataclass(frozen=True)
class ReferenceLayout:
    """The paths of a published experiment's reference folder, ``root`` =
    ``runs/reference/<name>/`` for ``runs/<name>.toml``.

    Everything in it is written by ``dmzsim publish`` and compared by ``dmzsim verify``;
    it is never edited by hand.
    """

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @classmethod
    def beside(cls, experiment_path: str | Path, name: str) -> ReferenceLayout:
        """The reference of experiment ``name`` whose file is ``experiment_path``: in
        ``reference/<name>/`` next to that file."""
        return cls(Path(experiment_path).parent / "reference" / name)

    @property
    def info(self) -> Path:
        """What was published and how: experiment, question, config hash, arms, horizon,
        outputs, versions, git commit, the simulate function, the publishing command."""
        return self.root / "reference.json"

    @property
    def headline(self) -> Path:
        """Per arm: P(resumption) + Wilson interval, median days to resumption, territory
        and fortress-belt towns lost (exact digits)."""
        return self.root / "headline.csv"

    @property
    def headline_page(self) -> Path:
        """The headline table for reading, with the key figure."""
        return self.root / "headline.md"

    @property
    def runs(self) -> Path:
        """One row per run: run_id, arm, point, replicate, seed and every summary output,
        in arm, point, replicate order."""
        return self.root / "runs.parquet"

    @property
    def manifest(self) -> Path:
        """The results folder's manifest, under its name there (its per-run table of
        seeds, status and wall times is left out: :attr:`runs` holds every run)."""
        return ResultsLayout(self.root).manifest

    @property
    def config(self) -> Path:
        """The resolved config the runs were made with, under its name in a results
        folder, so that a reference is compared with a config as a results folder is."""
        return ResultsLayout(self.root).config

    @property
    def figure(self) -> Path:
        """The key figure (analysis.report.key_figure) as PNG; its SVG and PDF beside it
        have the same name."""
        return self.root / "figure.png"

    @property
    def robustness(self) -> Path:
        """A robust-decision study's robustness table (``analysis.robust_headline``): per
        ranking measure and policy, each robustness measure with its interval and the
        policy's whole cost (exact digits); only a robust study has it."""
        return self.root / "robustness.csv"

    @property
    def required(self) -> tuple[Path, ...]:
        """The files without which the reference cannot be verified."""
        return self.info, self.runs, self.headline, self.manifest

    @property
    def staging(self) -> Path:
        """Where a publish writes the new reference before swapping it in."""
        return self.root.with_name(f".{self.root.name}.publishing")

    @property
    def retiring(self) -> Path:
        """Where the old reference waits while the new one is swapped in."""
        return self.root.with_name(f".{self.root.name}.old")


@dataclass(frozen=True)
class CalibrationLayout:
    """The paths of a calibration's folder, ``root`` = ``<out>/<calibration>/``."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def spec_copy(self) -> Path:
        """A copy of the calibration file: a resume must be of the same file."""
        return self.root / "calibration.toml"

    @property
    def journal(self) -> Path:
        """Optuna's journal storage, appended as each trial ends."""
        return self.root / "optuna.log"

    @property
    def trials(self) -> Path:
        """The trials' own results folders, one experiment each."""
        return self.root / "trials"

    @property
    def trial_table(self) -> Path:
        """Every finished trial: parameters, objective, each target's value and distance,
        accepted or not."""
        return self.root / "trials.parquet"

    @property
    def accepted(self) -> Path:
        """The accepted set: every trial that met all its targets (inside or within
        tolerance), not only the best."""
        return self.root / "accepted.parquet"

    @property
    def best(self) -> Path:
        """The best trial's parameters, ready to paste into an experiment's base."""
        return self.root / "best.toml"

    @property
    def report(self) -> Path:
        """The fit of the best trial per target, the accepted set's ranges, the parameters'
        importance, the trade-offs between targets and the targets no trial met together;
        named as a results folder's report is."""
        return ResultsLayout(self.root).report
