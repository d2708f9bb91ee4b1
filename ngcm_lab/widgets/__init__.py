"""ipywidgets front ends (ipywidgets 7.6+ and 8) that drive the models and plots of the package.

- `ShallowWaterExplorer`: build, step and run a shallow-water case.
- `ForecastStepper`: the same for the primitive-equation cases, with a `ResolutionPicker`.
- `ResolutionPicker`: truncation, layers, time step, with memory and speed estimated up front.
- `SnapshotViewer`: browse the outputs of a finished run.
- `TendencyExplorer`: a hybrid model's tendency split into dynamics, physics and network.
- `SensitivityExplorer`: adjoint (jax.grad) sensitivity of a forecast value to the initial state.
- `TrainingDashboard`: loss, curriculum stage, learning rate and checkpoints of a training loop.
"""

from ngcm_lab.widgets.forecast_stepper import ForecastStepper
from ngcm_lab.widgets.resolution import ResolutionPicker, RunSettings
from ngcm_lab.widgets.sensitivity import SensitivityExplorer
from ngcm_lab.widgets.shallow_water import ShallowWaterExplorer
from ngcm_lab.widgets.snapshots import SnapshotViewer
from ngcm_lab.widgets.tendencies import TendencyExplorer
from ngcm_lab.widgets.training import TrainingDashboard

__all__ = [
    "ForecastStepper",
    "ResolutionPicker",
    "RunSettings",
    "SensitivityExplorer",
    "ShallowWaterExplorer",
    "SnapshotViewer",
    "TendencyExplorer",
    "TrainingDashboard",
]
