"""σ coordinates: construction, validation, geometry."""

import numpy as np
import pytest

from ngcm_lab.sigma_coordinates import SigmaCoordinates


def test_equidistant_layers():
    c = SigmaCoordinates.equidistant(32)
    assert c.layers == 32
    np.testing.assert_allclose(c.thickness, 1 / 32)
    assert c.thickness.sum() == pytest.approx(1.0)
    assert c.centers[0] == pytest.approx(1 / 64) and c.centers[-1] == pytest.approx(1 - 1 / 64)


def test_user_boundaries_and_errors():
    c = SigmaCoordinates((0.0, 0.1, 0.5, 1.0))
    np.testing.assert_allclose(c.centers, [0.05, 0.3, 0.75])
    with pytest.raises(ValueError, match="from 0"):
        SigmaCoordinates((0.1, 1.0))
    with pytest.raises(ValueError, match="increase strictly"):
        SigmaCoordinates((0.0, 0.5, 0.4, 1.0))
    with pytest.raises(ValueError, match="at least one layer"):
        SigmaCoordinates.equidistant(0)
