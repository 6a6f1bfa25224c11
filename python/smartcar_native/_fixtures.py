"""The pytest fixtures of smartcar_native.testing (registered by its
pytest_configure hook)."""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from .testing import Emulator, start_emulator


@pytest.fixture(scope="session")
def smartcar_emulator_process() -> Iterator[Emulator]:
    """One emulator for the session (or ``$SMARTCAR_EMULATOR_URL``)."""
    given = os.environ.get("SMARTCAR_EMULATOR_URL")
    if given:
        yield Emulator(given)
        return
    emulator = start_emulator()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def smartcar_emulator(
    smartcar_emulator_process: Emulator, monkeypatch: pytest.MonkeyPatch
) -> Emulator:
    """The session's emulator, reset, with the ``SMARTCAR_*`` variables
    aimed at it for this test."""
    for name, value in smartcar_emulator_process.environment().items():
        monkeypatch.setenv(name, value)
    smartcar_emulator_process.reset()
    return smartcar_emulator_process
