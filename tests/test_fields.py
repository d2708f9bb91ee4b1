"""The field catalogue covers every decoded field, and the netCDF output takes its attributes."""

import pytest

from ngcm_lab.fields import CATALOGUE, field
from ngcm_lab.models import ShallowWaterModel
from ngcm_lab.primitive_model import PrimitiveEquationsModel
from ngcm_lab.xarray_io import state_to_dataset


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(lambda: ShallowWaterModel.from_case("galewsky", "T21"), id="shallow water"),
        pytest.param(
            lambda: PrimitiveEquationsModel.from_case("moist_baroclinic", "T21", layers=3),
            id="moist primitive equations",
        ),
    ],
)
def test_every_decoded_field_is_catalogued_and_written_with_its_attributes(model):
    model = model()
    decoded = model.decode(model.initial_state)
    assert set(decoded) <= set(CATALOGUE), set(decoded) - set(CATALOGUE)
    ds = state_to_dataset(model, model.initial_state)
    written = {"h": "depth"}
    for name in ds.data_vars:
        key = written.get(name, name)
        if key in CATALOGUE:
            assert ds[name].attrs.items() >= CATALOGUE[key].attrs.items(), name
    assert ds["u"].attrs["units"] == "m s-1" and ds["u"].attrs["standard_name"] == "eastward_wind"


def test_display_and_tendency_units_follow_from_the_field():
    q = field("specific_humidity")
    assert (q.display_scale, q.display_units) == (1e3, "g kg⁻¹")
    assert q.tendency_label == "∂q/∂t" and q.tendency_display_units == "g kg⁻¹ day⁻¹"
    assert q.tendency_display_scale == pytest.approx(86400e3)
    with pytest.raises(ValueError, match="unknown field 'rain'; known: u, v"):
        field("rain")
