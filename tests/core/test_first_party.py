"""The three first-party plugins keep the contract and load from their installed entry points."""

from __future__ import annotations

import importlib

import pytest

from punie_core.testing import assert_plugin_contract

FIRST_PARTY = {"quality": "punie-quality", "tdom": "punie-tdom", "svcs": "punie-svcs"}


@pytest.mark.parametrize("name", sorted(FIRST_PARTY))
def test_first_party_plugin_keeps_the_contract(name: str) -> None:
    plugin = importlib.import_module(f"punie_{name}.plugin")
    info = assert_plugin_contract(plugin, name=name)
    assert info.hooks and info.names("tools")


@pytest.mark.parametrize("name", sorted(FIRST_PARTY))
def test_first_party_plugin_is_active_when_installed(punie_installed, name: str) -> None:
    info = punie_installed(FIRST_PARTY[name])
    assert (info.name, info.status, info.error) == (name, "active", None)
