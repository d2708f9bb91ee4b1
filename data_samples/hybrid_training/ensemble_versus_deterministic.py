"""The stochastic hybrid's ensemble mean against the deterministic hybrid, paired on the same
held-out starts: RMSE of each by lead, the paired 90 % bootstrap interval of their difference,
and the mean's RMSE extrapolated to infinitely many members.

    python data_samples/hybrid_training/ensemble_versus_deterministic.py --members 16

The mean of M exchangeable members carries 1/M of their variance, so its expected squared error
is that of the infinite ensemble's mean plus s²/M, s² the (unbiased) variance of the members
(Leutbecher 2019, QJRMS 145(S1):107–128): subtracting s²/M per start estimates the infinite
ensemble. The fair CRPS is printed beside it (it does not depend on M on average).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from ngcm_lab import evaluation, experiments
from ngcm_lab.scores import bootstrap_resamples, bootstrap_rmse, percentile_interval

VARIABLES = ("u", "v", "temperature")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    shipped = experiments.data_samples_dir()
    parser.add_argument("--stochastic", default=shipped / experiments.STOCHASTIC_CHECKPOINT)
    parser.add_argument(
        "--deterministic", default=shipped / experiments.LEARN_SURFACE_FLUXES_CHECKPOINT
    )
    parser.add_argument("--members", type=int, default=16)
    parser.add_argument("--days", type=float, default=3.0)
    args = parser.parse_args()

    ensemble = experiments.load_trained(args.stochastic, progress=False)
    single = experiments.load_trained(args.deterministic, progress=False)
    truth = ensemble.truth
    outputs = int(round(args.days * 86400.0 / truth.interval_s))
    starts = evaluation.evaluation_starts(truth, outputs)
    both = [
        evaluation.errors_by_start(
            ensemble.hybrid,
            ensemble.params,
            truth,
            starts,
            outputs,
            args.members,
            ensemble.config.seed,
        ),
        evaluation.errors_by_start(single.hybrid, single.params, single.truth, starts, outputs),
    ]
    resamples = bootstrap_resamples(len(starts))
    leads = (np.arange(outputs) + 1) * truth.interval_s / 3600.0
    report: dict = {"members": args.members, "starts": len(starts), "lead_hours": leads.tolist()}
    for name in VARIABLES:
        mse_mean, mse_single = both[0]["mse"][name], both[1]["mse"][name]
        infinite = mse_mean - both[0]["variance"][name] / args.members
        rows = {
            "ensemble_mean": np.sqrt(mse_mean.mean(0)),
            "infinite_ensemble_mean": np.sqrt(infinite.mean(0)),
            "deterministic": np.sqrt(mse_single.mean(0)),
            "crps": both[0]["crps"][name].mean(0),
        }
        single_rmse = bootstrap_rmse(mse_single, resamples)
        difference = bootstrap_rmse(mse_mean, resamples) - single_rmse
        difference_infinite = bootstrap_rmse(infinite, resamples) - single_rmse
        report[name] = {k: v.tolist() for k, v in rows.items()}
        report[name]["difference_90"] = percentile_interval(difference)
        report[name]["infinite_difference_90"] = percentile_interval(difference_infinite)
        for lead in (24.0, 48.0, 72.0):
            if lead not in leads:
                continue
            i = int(np.flatnonzero(leads == lead)[0])
            low, high = (report[name]["difference_90"][k][i] for k in (0, 1))
            ilow, ihigh = (report[name]["infinite_difference_90"][k][i] for k in (0, 1))
            print(
                f"{name:11s} {lead / 24:.0f} d: mean of {args.members} "
                f"{rows['ensemble_mean'][i]:.3f} (∞: {rows['infinite_ensemble_mean'][i]:.3f}), "
                f"deterministic {rows['deterministic'][i]:.3f}; difference 90 % "
                f"[{low:+.3f}, {high:+.3f}] (∞: [{ilow:+.3f}, {ihigh:+.3f}]); "
                f"CRPS {rows['crps'][i]:.3f}"
            )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
