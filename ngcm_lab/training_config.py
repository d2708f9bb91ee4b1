"""What a training run is asked to do: `TrainingConfig`, a frozen, JSON-serialisable record of
the curriculum, optimiser, loss and model choices. A run's `config.json` is this record, and the
run is a function of it (`training.train`), so it also names the run in checkpoints and in the
shipped configurations (`experiments.CONFIGS`)."""

from __future__ import annotations

import dataclasses
import json

from ngcm_lab.column_network import ColumnNetworkConfig
from ngcm_lab.random_fields import RandomFieldConfig
from ngcm_lab.training_data import INITIALISATIONS


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    """What to train and how (SI units; JSON-serialisable).

    Attributes:
      curriculum: (rollout length in hours, number of updates) per stage, in order.
      learning_rate: peak learning rate of a warm-up + cosine-decay schedule.
      warmup_updates: linear warm-up length.
      final_learning_rate_fraction: the schedule ends at this fraction of the peak.
      batch_size: initial times per update (a mini-batch, reshuffled every epoch).
      ema_decay: exponential moving average of the parameters (evaluated and saved).
      gradient_clip: global-norm clipping of the gradients.
      loss_weights: weight per variable; each squared error is divided by the truth's variance
        (each CRPS by its standard deviation). "precipitation_rate" may be added when the truth
        has it and the model has classical physics.
      checkpoint_every: updates between checkpoints (and at every stage's end).
      max_consecutive_nonfinite: skipped non-finite updates in a row before giving up.
      seed: for parameter initialisation and shuffling.
      network: the column network's architecture (and whether it reads global means).
      physics_interval_s: how often the network is evaluated.
      random_fields: random network inputs (a stochastic model); None for a deterministic one.
      loss: "mse" (deterministic) or "crps" (two-member ensemble; needs random_fields).
      experiment: the rung trained (`experiments.EXPERIMENTS`): its truth, baseline and oracle.
      output_scales: σ_X "residual" (measured on the training starts, stored with the run) or
        "fixed" (hand-set; runs from before σ_X came from data).
      mode: "online" (unroll the hybrid and match the truth's trajectory) or "offline" (fit the
        network's tendency to the one-interval residual tendency, no rollout: every stage's
        hours must then be the truth's spacing).
      initialisation: how truth states become initial states (`training_data.INITIALISATIONS`):
        "balanced" (p_s moved onto the model's ground, then a digital filter:
        `initialisation.py`) or "none" (encoded as stored); None: the experiment's own
        (`experiments.Experiment.initialisation`).
      start_warming_k: standard deviation (K) of a uniform warming added to every online
        initial state (one draw per state and update), which is still verified against the
        unperturbed truth: the rollout then rewards a network that pulls a warmed atmosphere
        back, the restoring a free run needs (`learned_physics.column_heating_response`
        measures it). 0 leaves the starts as the truth gives them.
      spectrum_loss_weight: weight of the spectral term of an online loss (NeuralGCM's; Kochkov
        et al. 2024, Methods): the mean squared log ratio of the rollout's kinetic-energy
        spectrum to the truth's, per output time, level and total wavenumber the model's filter
        keeps (`losses.spectrum_error`). Squared error alone rewards damping the scales a
        forecast cannot place; this term charges for the energy lost. 0: squared error (or
        CRPS) only.
      bias_loss_weight: weight of the bias term of an online loss (NeuralGCM's): the squared
        area-mean error per variable, level and output time over the truth's variance, which
        charges the systematic error a free run accumulates as drift. 0: none.
      initial_params: a trained run whose EMA parameters start this one (fine-tuning) instead
        of a random initialisation: its directory, or its path under data_samples/ for a
        shipped checkpoint. It must share this run's network, truth and initialisation; inputs
        it lacked (random fields) start fresh (`checkpoints.fine_tuning_start`). None: random.
    """

    curriculum: tuple[tuple[float, int], ...] = ((6.0, 60), (24.0, 60), (72.0, 40), (120.0, 40))
    learning_rate: float = 1e-3
    warmup_updates: int = 10
    final_learning_rate_fraction: float = 0.1
    batch_size: int = 2
    ema_decay: float = 0.95
    gradient_clip: float = 1.0
    loss_weights: tuple[tuple[str, float], ...] = (
        ("u", 1.0),
        ("v", 1.0),
        ("temperature", 1.0),
        ("specific_humidity", 0.5),
    )
    checkpoint_every: int = 20
    max_consecutive_nonfinite: int = 5
    seed: int = 0
    network: ColumnNetworkConfig = ColumnNetworkConfig()
    physics_interval_s: float = 3600.0
    random_fields: RandomFieldConfig | None = None
    loss: str = "mse"
    experiment: str = "learn-surface-fluxes"
    output_scales: str = "residual"
    mode: str = "online"
    initialisation: str | None = None
    start_warming_k: float = 0.0
    spectrum_loss_weight: float = 0.0
    bias_loss_weight: float = 0.0
    initial_params: str | None = None

    def __post_init__(self):
        if self.start_warming_k < 0:
            raise ValueError(f"start_warming_k must be ≥ 0 K, got {self.start_warming_k:g}")
        if self.start_warming_k > 0 and self.mode == "offline":
            raise ValueError(
                "start_warming_k perturbs rollouts; offline training has none (set it to 0)"
            )
        for name in ("spectrum_loss_weight", "bias_loss_weight"):
            weight = getattr(self, name)
            if weight < 0:
                raise ValueError(f"{name} must be ≥ 0, got {weight:g}")
            if weight > 0 and self.mode == "offline":
                raise ValueError(f"{name} scores rollouts; offline training has none (set it to 0)")
        if self.initial_params is not None and not str(self.initial_params).strip():
            raise ValueError("initial_params must name a run directory (or be null)")
        if self.mode not in ("online", "offline"):
            raise ValueError(f"mode must be 'online' or 'offline', got {self.mode!r}")
        if self.mode == "offline" and self.loss != "mse":
            raise ValueError("offline training fits tendencies by squared error: use loss 'mse'")
        if self.loss not in ("mse", "crps"):
            raise ValueError(f"loss must be 'mse' or 'crps', got {self.loss!r}")
        if self.output_scales not in ("residual", "fixed"):
            raise ValueError(
                f"output_scales must be 'residual' or 'fixed', got {self.output_scales!r}"
            )
        if self.initialisation is not None and self.initialisation not in INITIALISATIONS:
            raise ValueError(
                f"initialisation must be one of {', '.join(INITIALISATIONS)}, "
                f"got {self.initialisation!r}"
            )
        if self.loss == "crps" and self.random_fields is None:
            raise ValueError(
                "a CRPS loss needs a stochastic model: set random_fields (e.g. "
                '{"fields": 4, "correlation_length_m": 1e6, "correlation_time_s": 21600})'
            )

    @property
    def total_updates(self) -> int:
        return int(sum(n for _, n in self.curriculum))

    def stage(self, update: int) -> tuple[int, float]:
        """(stage index, rollout hours) of update number `update` (0-based)."""
        end = 0
        for i, (hours, n) in enumerate(self.curriculum):
            end += n
            if update < end:
                return i, hours
        return len(self.curriculum) - 1, self.curriculum[-1][0]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2)

    @classmethod
    def from_dict(cls, data: dict) -> TrainingConfig:
        data = dict(data)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown training option(s) {unknown}; valid: {sorted(known)}")
        if "network" in data:
            data["network"] = ColumnNetworkConfig(**data["network"])
        if data.get("random_fields") is not None:
            data["random_fields"] = RandomFieldConfig(**data["random_fields"])
        for key in ("curriculum", "loss_weights"):
            if key in data:
                data[key] = tuple(tuple(x) for x in data[key])
        return cls(**data)
