"""Provenance of what the analysis draws: which experiment, config, code and map made it.

A figure pasted into a paper or a slide has lost its folder; the :class:`Stamp` it
carries, printed in its margin and written into its file's metadata, still traces it to
the exact results. The stamp is read from the results folder's manifest (and its config,
for the map), so it says what made the runs, not what the code is now.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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
