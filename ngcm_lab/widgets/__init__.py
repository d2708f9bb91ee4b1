"""ipywidgets front ends (ipywidgets 7.6+ and 8) that drive the models and plots of the package."""

from ngcm_lab.widgets.shallow_water import ShallowWaterExplorer
from ngcm_lab.widgets.snapshots import SnapshotViewer

__all__ = ["ShallowWaterExplorer", "SnapshotViewer"]
