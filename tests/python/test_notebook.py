"""Notebook helpers that need neither pandas nor tqdm: to_dict, HTML
reprs, typed datetimes, ResultList and progress=True without tqdm.
(to_frame and the tqdm bars run in tests/notebook, which installs them.)
"""

from __future__ import annotations

import datetime as dt
import sys

import smartcar_native as smartcar


def test_to_dict_every_result(cars):
    car = cars.vehicle("phev")
    status = car.lock_status()
    d = status.to_dict()
    assert d["is_locked"] is status.is_locked
    assert d["doors"][0] == {"type": status.doors[0].type,
                             "status": status.doors[0].status}
    assert d["meta"]["unit_system"] == "metric"
    assert smartcar.to_dict(status) == d
    for result in (car.odometer(), car.attributes(), car.vin(),
                   car.permissions(), car.diagnostic_trouble_codes()):
        assert isinstance(result.to_dict(), dict)
        assert set(result.to_dict()) == set(result._fields)


def test_typed_datetimes(cars):
    odo = cars.vehicle("bev").odometer()
    assert isinstance(odo.meta.data_age, str)
    assert isinstance(odo.meta.data_age_dt, dt.datetime)
    assert odo.meta.data_age_dt.tzinfo is None  # naive UTC, as Access
    assert odo.meta.data_age_dt.isoformat()[:19] == odo.meta.data_age[:19]
    assert smartcar.Meta().fetched_at_dt is None
    code = smartcar.DiagnosticTroubleCode("P0171", "2024-07-27T19:30:00.000Z")
    assert code.timestamp_dt == dt.datetime(2024, 7, 27, 19, 30)
    assert smartcar.DiagnosticTroubleCode("P0171", "soon").timestamp_dt is None


def test_html_reprs_keep_tokens_out(cars, access):
    html = cars.vehicle("bev").odometer()._repr_html_()
    assert "<table>" in html and "Odometer" in html and "distance" in html
    shown = access._repr_html_()
    assert access.access_token not in shown
    assert access.refresh_token not in shown
    assert "[REDACTED]" in shown


def test_run_many_gives_a_result_list(cars):
    car = cars.vehicle("bev")
    results = smartcar.run_many([(car, "odometer"), (car, "fuel")],
                                progress=True)
    assert isinstance(results, smartcar.ResultList)
    assert isinstance(results, list)
    assert isinstance(results[0], smartcar.Odometer)
    assert isinstance(results[1], smartcar.SmartcarException)
    table = results._repr_html_()
    assert "distance_km" in table and "VEHICLE_NOT_CAPABLE" in table
    assert results.to_dict()[1]["type"] == "CompatibilityError"


def test_progress_without_tqdm_is_quiet(cars, capsys, monkeypatch):
    # without tqdm (importing it fails): progress=True draws nothing and
    # changes nothing
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    ids = list(smartcar.iter_vehicles(cars.token, progress=True))
    assert ids == list(smartcar.iter_vehicles(cars.token))
    assert capsys.readouterr().err == ""
