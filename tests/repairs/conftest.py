import pytest

from tests.repairs.cast import repair_env


@pytest.fixture
def env(app):
    return repair_env(app)
