"""Paging iterators: limit/offset (vehicles, permissions), cursor
(connections), page/pageSize (v3 signals, in test_v3.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import smartcar_native as smartcar

from conftest import FULL_SCOPE, MANAGEMENT_TOKEN, authorize


def gets(emu, suffix):
    return [r for r in emu.requests()
            if r["method"] == "GET" and r["path"].endswith(suffix)]


def test_iter_vehicles_across_pages(emu, cars):
    emu.clear_requests()
    it = smartcar.iter_vehicles(cars.token, page_size=1)
    assert isinstance(it, Iterator)
    assert gets(emu, "/vehicles") == []  # lazy: nothing sent yet
    ids = list(it)
    assert ids == cars.ids and len(ids) == 3
    pages = gets(emu, "/vehicles")
    assert [(r["query"]["limit"], r["query"]["offset"]) for r in pages] == [
        ("1", "0"), ("1", "1"), ("1", "2")]
    # two per page: a short last page ends it
    emu.clear_requests()
    assert list(smartcar.iter_vehicles(cars.token, page_size=2)) == cars.ids
    assert len(gets(emu, "/vehicles")) == 2
    # the default page size takes everything at once
    emu.clear_requests()
    assert list(smartcar.iter_vehicles(cars.token)) == cars.ids
    assert [r["query"]["limit"] for r in gets(emu, "/vehicles")] == ["50"]


def test_iter_vehicles_checks_arguments_at_once():
    with pytest.raises(TypeError):
        smartcar.iter_vehicles(None)
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.iter_vehicles("token", page_size=0)
    with pytest.raises(TypeError):
        smartcar.iter_vehicles("token", page_size="10")


def test_iter_vehicles_raises_errors(emu):
    with pytest.raises(smartcar.AuthenticationError):
        list(smartcar.iter_vehicles("bad-token-0000"))


def test_iter_permissions_across_pages(emu, cars):
    car = cars.vehicle("bev")
    emu.clear_requests()
    permissions = list(car.iter_permissions(page_size=4))
    assert sorted(permissions) == sorted(FULL_SCOPE)
    assert len(permissions) == len(set(permissions))
    pages = gets(emu, "/permissions")
    assert [r["query"]["offset"] for r in pages] == ["0", "4", "8", "12"]
    assert permissions == car.permissions({"limit": 50}).permissions
    # the default page size (25) holds them all
    emu.clear_requests()
    assert list(car.iter_permissions()) == permissions
    assert len(gets(emu, "/permissions")) == 1
    with pytest.raises(smartcar.InvalidArgumentError):
        car.iter_permissions(0)


def test_iter_connections_follows_the_cursor(emu, auth, cars):
    # a second owner so that the filter matters
    other = auth.exchange_code(authorize(emu, auth, FULL_SCOPE,
                                         email="second@example.com"))
    other_user = smartcar.get_user(other.access_token).id
    emu.clear_requests()
    mine = list(smartcar.iter_connections(
        MANAGEMENT_TOKEN, {"user_id": cars.user_id}, page_size=1))
    assert sorted(c.vehicle_id for c in mine) == sorted(cars.ids)
    assert all(isinstance(c, smartcar.Connection) for c in mine)
    assert {c.user_id for c in mine} == {cars.user_id}
    pages = gets(emu, "/management/connections")
    assert len(pages) == 3
    assert "cursor" not in pages[0]["query"]
    assert all(r["query"].get("cursor") for r in pages[1:])
    everyone = list(smartcar.iter_connections(MANAGEMENT_TOKEN, page_size=2))
    assert len(everyone) == 6
    assert {c.user_id for c in everyone} == {cars.user_id, other_user}
    # newest first, as one page would list them
    one_page = smartcar.get_connections(MANAGEMENT_TOKEN,
                                        paging={"limit": 100}).connections
    assert everyone == one_page
    with pytest.raises(smartcar.InvalidArgumentError):
        smartcar.iter_connections(MANAGEMENT_TOKEN, page_size=0)
    with pytest.raises(smartcar.AuthenticationError):
        list(smartcar.iter_connections("wrong-amt"))
