# SPDX-FileCopyrightText: 2023 Hynek Schlawack <hs@ox.cx>
#
# SPDX-License-Identifier: MIT
#
# Adapted for the Punie corpus: the Sybil doctest collection of docs/ was removed (the docs
# are not part of this slice); the fixtures are upstream's.

import pytest

import svcs

from tests.helpers import CloseMe
from tests.ifaces import Service


@pytest.fixture(name="svc")
def _svc():
    return Service()


@pytest.fixture(name="rs")
def _rs(svc):
    return svcs.RegisteredService(Service, Service, False, True, None, True)


@pytest.fixture(name="registry")
def _registry():
    return svcs.Registry()


@pytest.fixture(name="container")
def _container(registry):
    return svcs.Container(registry)


@pytest.fixture(name="close_me")
def _close_me():
    return CloseMe()
