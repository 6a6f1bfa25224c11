"""Calls mypy must reject: each line marked `# rejected` gets an error."""
from __future__ import annotations

import smartcar_native as smartcar
from smartcar_native import aio

client = smartcar.AuthClient()
client.get_auth_url(options={"force_promt": True})  # rejected
client.get_auth_url(options={"force_prompt": "yes"})  # rejected
client.exchange_code(None)  # rejected
smartcar.get_vehicles("token", {"limit": "10"})  # rejected
smartcar.Vehicle("vid", "token", {"unit_system": "kelvin"})  # rejected
smartcar.Vehicle("vid", "token", {"units": "metric"})  # rejected
smartcar.configure(rate_policy="sometimes")  # rejected
smartcar.get_compatibility("VIN", ["read_vin"], options={"mode": "demo"})  # rejected
smartcar.delete_connections("amt", {"user": "u"})  # rejected
distance: str = smartcar.Vehicle("v", "t").odometer().distance  # rejected
aio.AsyncVehicle("vid", "token", {"units": "metric"})  # rejected
aio.AsyncVehicleV3("vid", "user")  # rejected
aio.AsyncAuthClient(mode=1)  # rejected
aio.AsyncAuthClient().exchange_code(None)  # rejected
unit: int = aio.AsyncVehicle("vid", "token").unit_system  # rejected
aio.get_vehicles(None)  # rejected
