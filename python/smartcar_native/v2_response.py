"""``smartcar.v2_response`` of the official SDK: the result types.

The named tuples are :mod:`smartcar_native.types`'; ``Reason`` and the
service-record classes are the official module's annotations.
"""

from __future__ import annotations

import datetime
import enum
from typing import List, Optional, Union

from .types import (
    Access as Access,
    Action as Action,
    Attributes as Attributes,
    AvailableCapacity as AvailableCapacity,
    Battery as Battery,
    BatteryCapacity as BatteryCapacity,
    Capability as Capability,
    Charge as Charge,
    ChargeLimit as ChargeLimit,
    ChargingPort as ChargingPort,
    CompatibilityMatrix as CompatibilityMatrix,
    CompatibilityMatrixModel as CompatibilityMatrixModel,
    CompatibilityV1 as CompatibilityV1,
    CompatibilityV2 as CompatibilityV2,
    Connection as Connection,
    DeleteConnections as DeleteConnections,
    DiagnosticSystem as DiagnosticSystem,
    DiagnosticSystemStatus as DiagnosticSystemStatus,
    DiagnosticTroubleCode as DiagnosticTroubleCode,
    DiagnosticTroubleCodes as DiagnosticTroubleCodes,
    Door as Door,
    EngineOil as EngineOil,
    Fuel as Fuel,
    GetConnections as GetConnections,
    Location as Location,
    LockStatus as LockStatus,
    Meta as Meta,
    NominalCapcity as NominalCapcity,
    Odometer as Odometer,
    Paging as Paging,
    PagingCursor as PagingCursor,
    Permissions as Permissions,
    Response as Response,
    SelectedCapacity as SelectedCapacity,
    ServiceHistory as ServiceHistory,
    Status as Status,
    Storage as Storage,
    Subscribe as Subscribe,
    Sunroof as Sunroof,
    TirePressure as TirePressure,
    User as User,
    Vehicles as Vehicles,
    Vin as Vin,
    Window as Window,
)

__all__ = [
    "Access", "Action", "Attributes", "AvailableCapacity", "Battery",
    "BatteryCapacity", "Capability", "Charge", "ChargeLimit", "ChargingPort",
    "CompatibilityMatrix", "CompatibilityMatrixModel", "CompatibilityV1",
    "CompatibilityV2", "Connection", "DeleteConnections", "DiagnosticSystem",
    "DiagnosticSystemStatus", "DiagnosticTroubleCode",
    "DiagnosticTroubleCodes", "Door", "EngineOil", "Fuel", "GetConnections",
    "Location", "LockStatus", "Meta", "NominalCapcity", "Odometer", "Paging",
    "PagingCursor", "Permissions", "Reason", "Response", "SelectedCapacity",
    "ServiceCost", "ServiceDetail", "ServiceHistory", "ServiceRecord",
    "ServiceTask", "Status", "Storage", "Subscribe", "Sunroof",
    "TirePressure", "User", "Vehicles", "Vin", "Window",
]


class Reason(enum.Enum):
    """Why a vehicle is not compatible (``CompatibilityV2.reason``; the
    value arrives as its str)."""

    VEHICLE_NOT_COMPATIBLE = "VEHICLE_NOT_COMPATIBLE"
    MAKE_NOT_COMPATIBLE = "MAKE_NOT_COMPATIBLE"


class ServiceCost:
    """Shape of a service record's cost (``ServiceHistory.items``)."""

    total_cost: Optional[float] = None
    currency: Optional[str] = None


class ServiceDetail:
    type: str
    value: Union[None, str, float] = None


class ServiceTask:
    task_id: Optional[str] = None
    task_description: Optional[str] = None


class ServiceRecord:
    """Shape of one item of ``ServiceHistory.items`` (dicts at run time,
    as in the official SDK)."""

    odometer_distance: float
    service_date: datetime.datetime
    service_id: Optional[str] = None
    service_tasks: List[ServiceTask]
    service_details: List[ServiceDetail]
    service_cost: ServiceCost
