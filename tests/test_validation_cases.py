"""Published shallow-water test cases, asserted quantitatively (thresholds argued in
`ngcm_lab.validation`). Williamson et al. 1992; Galewsky, Scott & Polvani 2004."""

import jax
import numpy as np
import pytest

from ngcm_lab import primitive_validation, validation


def test_williamson2_float64_is_round_off():
    with jax.enable_x64(True):
        result = validation.validate("williamson2", "T42", np.float64, progress=False)
    assert result.passed, result.table()
    assert result.metrics["l2"] < 1e-13  # Dinosaur measures 1.2e-14 here (test-cases.md)
    assert result.metrics["mass_relative_change"] < 1e-15


def test_williamson2_float32_is_round_off():
    result = validation.validate("williamson2", "T42", np.float32, progress=False)
    assert result.passed, result.table()
    assert result.metrics["l2"] < 1e-6  # Dinosaur measures 8.5e-8 (test-cases.md)


def test_williamson5_passes_at_t42_and_converges_with_resolution():
    coarse = validation.validate("williamson5", "T21", progress=False)
    fine = validation.validate("williamson5", "T42", progress=False)
    assert fine.passed, fine.table()
    assert fine.metrics["l2"] < 0.25 * coarse.metrics["l2"]  # spectral convergence


def test_williamson6_error_and_phase_speed_at_t42():
    result = validation.validate("williamson6", "T42", progress=False)
    assert result.passed, result.table()
    speed = result.metrics["phase_speed_deg_per_day"]
    assert speed < result.details["nondivergent_phase_speed_deg_per_day"]


def test_galewsky_steady_unperturbed_rolls_up_perturbed_and_keeps_pv_bound():
    result = validation.validate("galewsky", "T63", progress=False)
    assert result.passed, result.table()


def test_unknown_case_lists_valid_cases():
    with pytest.raises(ValueError, match="williamson2, williamson5, williamson6, galewsky"):
        validation.validate("williamson3")


def test_one_registry_names_every_case_and_the_function_that_runs_it():
    """`ngcm-lab validate --list` reads this one dict, shallow-water and primitive cases alike."""
    assert validation.case_names() == [
        "williamson2",
        "williamson5",
        "williamson6",
        "galewsky",
        "jw_steady",
        "jablonowski_williamson",
        "held_suarez_spinup",
    ]
    assert validation.CHECKS["jw_steady"].run is primitive_validation.jw_steady


def test_unknown_resolution_is_rejected_before_running():
    with pytest.raises(ValueError, match="valid names"):
        validation.validate("williamson2", "T43")


def test_result_json_has_case_metrics_thresholds_and_passed():
    result = validation.ValidationResult(
        "x", "T42", "float32", {"l2": 1.0, "min_a": 2.0}, {"l2": 0.5, "min_a": 1.0}
    )
    d = result.to_dict()
    assert d["passed"] is False and d["thresholds"]["l2"] == 0.5
    assert "NO" in result.table()
