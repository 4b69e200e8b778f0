"""All three layers of one project at once: the entries, the active feature and its spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from punie_core.specs.features import (
    Feature,
    FeatureNotFound,
    active_feature,
    feature_entries,
    list_features,
    read_spec,
)
from punie_core.specs.layers import Entry, org_layer, project_layer
from punie_core.specs.nouns import Spec


@dataclass
class Discovery:
    """What one project offers.

    Attributes:
        root: The project root.
        entries: Context files, organisation first, then project, then the feature's.
        features: Every spec folder.
        feature: The active feature (None when the project has no spec folder).
        chosen_by: How the feature was chosen: `explicit`, `env`, `branch` or `recent`.
        problem: Why no feature was chosen although one was named (lenient discovery only).
    """

    root: Path
    entries: list[Entry] = field(default_factory=list)
    features: list[Feature] = field(default_factory=list)
    feature: Feature | None = None
    chosen_by: str = ""
    problem: str = ""

    def spec(self) -> Spec | None:
        """The active feature's spec (None without one)."""
        return read_spec(self.root, self.feature) if self.feature is not None else None


def discover(root: Path, feature: str | None = None, *, strict: bool = True) -> Discovery:
    """Find every layer of the project at `root`.

    Args:
        root: The project root.
        feature: The feature to make active (default: env, branch or most recent).
        strict: Raise when the named feature does not exist; otherwise note it in `problem`.

    Raises:
        FeatureNotFound: `feature` (or `PUNIE_FEATURE`) names no spec folder (strict only).
    """
    root = Path(root).resolve()
    found = Discovery(root=root, features=list_features(root))
    try:
        chosen, how = active_feature(root, feature)
    except FeatureNotFound as exc:
        if strict:
            raise
        chosen, how, found.problem = None, "", str(exc)
    found.feature, found.chosen_by = chosen, how
    found.entries = org_layer(root) + project_layer(root)
    if chosen is not None:
        found.entries += feature_entries(root, chosen)
    return found
