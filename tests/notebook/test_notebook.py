"""to_frame with pandas, tqdm progress bars, and examples/fleet.ipynb run
by nbclient (run by tests/notebook/run.sh, which installs them)."""

from __future__ import annotations

import pathlib

import nbformat
import pandas as pd
from nbclient import NotebookClient

import smartcar_native as smartcar

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _fleet(emulator):
    access = smartcar.AuthClient().exchange_code(emulator.approve())
    ids = smartcar.get_vehicles(access.access_token).vehicles
    return {smartcar.Vehicle(v, access.access_token).attributes().make:
            v for v in ids}, access.access_token


def test_to_frame_flat_units_datetimes(smartcar_emulator):
    by_make, token = _fleet(smartcar_emulator)
    tesla = smartcar.Vehicle(by_make["TESLA"], token)
    miles = smartcar.Vehicle(by_make["TESLA"], token,
                             {"unit_system": "imperial"})
    results = smartcar.run_many([(tesla, "odometer"), (miles, "odometer"),
                                 (tesla, "battery"), (tesla, "fuel"),
                                 (tesla, "tire_pressure")])
    frame = smartcar.to_frame(results)
    assert list(frame["type"]) == ["Odometer", "Odometer", "Battery",
                                   "CompatibilityError", "TirePressure"]
    assert frame.loc[0, "distance_km"] > 0
    assert frame.loc[1, "distance_mi"] > 0
    assert pd.isna(frame.loc[0, "distance_mi"])
    assert frame.loc[1, "distance_mi"] == frame.loc[0, "distance_km"] / \
        1.609344 or abs(frame.loc[1, "distance_mi"] * 1.609344 -
                        frame.loc[0, "distance_km"]) < 1
    assert 0 <= frame.loc[2, "percent_remaining_fraction"] <= 1
    assert "range_km" in frame and "front_left_kpa" in frame
    assert frame.loc[3, "status_code"] == 501
    assert "VEHICLE_NOT_CAPABLE" in frame.loc[3, "error"]
    # real datetimes, UTC
    assert str(frame["data_age"].dtype).startswith("datetime64")
    assert str(frame["data_age"].dt.tz) == "UTC"
    assert frame.loc[0, "unit_system"] == "metric"
    assert "meta" not in frame  # flattened

    # a dict keyed by vehicle id; one result; nested tuples
    keyed = smartcar.to_frame({v: smartcar.Vehicle(v, token).odometer()
                               for v in by_make.values()})
    assert sorted(keyed["key"]) == sorted(by_make.values())
    one = smartcar.to_frame(tesla.nominal_capacity())
    assert one.loc[0, "capacity_nominal_kwh"] > 0
    assert one.loc[0, "capacity_source"] in ("SMARTCAR", "USER_SELECTED")
    assert results.to_frame().equals(frame)


def test_to_frame_keeps_tokens_out(smartcar_emulator):
    access = smartcar.AuthClient().exchange_code(smartcar_emulator.approve())
    frame = smartcar.to_frame(access)
    text = frame.to_string()
    assert access.access_token not in text
    assert access.refresh_token not in text
    assert str(frame["expiration"].dtype).startswith("datetime64")


def test_progress_bars(smartcar_emulator, capsys):
    by_make, token = _fleet(smartcar_emulator)
    calls = [(smartcar.Vehicle(v, token), "odometer")
             for v in by_make.values()]
    smartcar.run_many(calls, progress=True)
    err = capsys.readouterr().err
    assert "run_many" in err and "3/3" in err
    ids = list(smartcar.iter_vehicles(token, progress=True))
    err = capsys.readouterr().err
    assert "vehicles" in err and "%d" % len(ids) in err
    list(smartcar.iter_connections(smartcar_emulator_amt(), progress=True))
    assert "connections" in capsys.readouterr().err


def smartcar_emulator_amt():
    from smartcar_native.testing import MANAGEMENT_TOKEN
    return MANAGEMENT_TOKEN


def test_fleet_notebook_runs_and_plots():
    path = ROOT / "examples" / "fleet.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}
                   ).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code"
               for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2, "the odometer and battery plots"
    tables = [o for o in outputs if "text/html" in o.get("data", {})]
    assert tables, "DataFrames and result lists render as HTML"


def test_signal_frame_both_time_formats():
    body = {"data": [
        {"id": "closure-islocked", "attributes": {
            "code": "closure-islocked", "status": {"value": "SUCCESS"},
            "body": {"value": True}},
         "meta": {"retrievedAt": "2025-09-23T23:05:12.404Z"}},
        {"id": "odometer-traveleddistance", "attributes": {
            "code": "odometer-traveleddistance",
            "status": {"value": "SUCCESS"},
            "body": {"unit": "kilometers", "value": 10.5}},
         "meta": {"retrievedAt": 1758668712404}}]}
    frame = smartcar.signal_frame(body)
    assert list(frame["code"]) == ["closure-islocked",
                                   "odometer-traveleddistance"]
    assert str(frame["retrieved_at"].dt.tz) == "UTC"
    assert frame.loc[0, "retrieved_at"] == frame.loc[1, "retrieved_at"]
    assert frame.loc[1, "unit"] == "kilometers"
