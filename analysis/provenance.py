"""Provenance of what the analysis draws: which experiment, config, code and map made it.

A figure pasted into a paper or a slide has lost its folder; the :class:`Stamp` it
carries, printed in its margin and written into its file's metadata, still traces it to
the exact results. The stamp is read from the results folder's manifest (and its config,
for the map), so it says what made the runs, not what the code is now.

The manifest's config hash is also what ties a folder's saved config to its runs:
:func:`config_mismatch` says when the two no longer agree (one of them was edited after
the runs), which ``dmzsim report`` warns about and ``dmzsim verify`` refuses.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dmzsim.analysis.results_layout import ResultsLayout


def config_hash_of(config: Mapping[str, Any]) -> str:
    """The sha256 of a resolved config's canonical JSON: ``ExperimentConfig.config_hash``
    of the config, and so, for the config as read back from a folder's
    saved config, the hash its manifest recorded."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def config_mismatch_of(config: Mapping[str, Any], manifest: Mapping[str, Any],
                       folder: Path) -> str | None:
    """A sentence when ``config`` (the folder's saved config, read) is not the
    config whose hash ``manifest`` recorded; None when it is, or the manifest records
    no hash (a folder being created)."""
    recorded = manifest.get("config_hash")
    if not isinstance(recorded, str) or not recorded:
        return None
    found = config_hash_of(config)
    if found == recorded:
        return None
    layout = ResultsLayout(folder)
    return (f"{layout.config} is not the config the runs were made with: its hash is "
            f"{found[:12]}, {layout.manifest.name} records {recorded[:12]} (one of the two "
            "was changed after the runs)")


def config_mismatch(folder: str | Path) -> str | None:
    """:func:`config_mismatch_of` for a results or reference folder, read from its
    config and manifest (:class:`ResultsLayout`; None as well when either is missing or
    cannot be read: the readers of the folder say so)."""
    layout = ResultsLayout(Path(folder))
    try:
        manifest = json.loads(layout.manifest.read_text())
        config = tomllib.loads(layout.config.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict):
        return None
    return config_mismatch_of(config, manifest, Path(folder))


@dataclass(frozen=True)
class Stamp:
    """Where a figure comes from; printed on it and stored in the PNG metadata."""

    experiment: str
    config_hash: str
    version: str
    commit: str
    map: str = ""  # the experiment's own map file, if it names one (else the default map)

    @classmethod
    def from_manifest(cls, manifest: Mapping[str, Any], config: Mapping[str, Any]
                      ) -> Stamp:
        """The stamp of a results folder, from its manifest and config; what either
        lacks (a folder still being written, an old manifest) reads "unknown"."""
        env = manifest.get("environment") or {}
        git = manifest.get("git") or {}
        commit = str(git.get("commit") or "unknown")[:10]
        if git.get("dirty"):
            commit += "+dirty"
        return cls(str(manifest.get("experiment") or config.get("name") or "?"),
                   str(manifest.get("config_hash") or "unknown"),
                   str((env.get("versions") or {}).get("dmzsim") or "unknown"), commit,
                   Path(str(config["map"])).name if config.get("map") else "")

    @property
    def text(self) -> str:
        """The one line printed in a figure's margin."""
        where = f" · map {self.map}" if self.map else ""
        return (f"{self.experiment} · config {self.config_hash[:12]}{where} · dmzsim "
                f"{self.version} · git {self.commit}")

    def metadata(self, title: str) -> dict[str, str]:
        """The stamp as PNG metadata keys, so it survives a crop of the margin."""
        where = f" map={self.map}" if self.map else ""
        return {"Title": title, "Software": f"dmzsim {self.version}",
                "Description": f"experiment={self.experiment} config_hash={self.config_hash} "
                               f"git={self.commit}{where}"}
