"""Fixtures for the official-SDK compatibility tests (see compat_env)."""
import pytest

from compat_env import BASE, Owner


@pytest.fixture
def owner():
    """A fresh owner who connected all three fleet vehicles."""
    return Owner()


@pytest.fixture
def base():
    return BASE
