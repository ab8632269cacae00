"""Handover service tests match the rules' English messages: run them in English."""
import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english_messages(request):
    if "ctx" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("ctx")
    with force_locale("en"):
        yield
