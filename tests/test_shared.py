"""The shared homes every capability uses: time bounds, the rule error, form helpers, rows of one's own site."""
import importlib
import inspect
import pkgutil
from datetime import date, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound

from hospitality import clock
from hospitality.errors import RuleError
from hospitality.forms import idem, qty_fields
from tests import factories


def _site(zone: str):
    return SimpleNamespace(tz=ZoneInfo(zone))


def test_a_shanghai_day_starts_at_16_utc_the_day_before():
    """A site-local day is [local midnight, next local midnight) in stored naive UTC."""
    start, end = clock.day_bounds(_site("Asia/Shanghai"), date(2026, 12, 6))
    assert (start, end) == (datetime(2026, 12, 5, 16), datetime(2026, 12, 6, 16))
    assert start.tzinfo is None


def test_a_range_includes_both_ends():
    """first..last covers every day of the range, the last one included."""
    start, end = clock.range_bounds(_site("Asia/Shanghai"), date(2026, 12, 1), date(2026, 12, 31))
    assert (start, end) == (datetime(2026, 11, 30, 16), datetime(2026, 12, 31, 16))


def test_a_day_across_a_clock_change_keeps_its_real_length():
    """Where clocks change (a company's site abroad), the day is 23 hours long, not 24."""
    start, end = clock.day_bounds(_site("Europe/Berlin"), date(2026, 3, 29))
    assert (end - start).total_seconds() == 23 * 3600


def test_to_local_and_back():
    """A stored UTC time shown on the site's clock converts back to the same stored value."""
    site = _site("Asia/Shanghai")
    local = clock.to_local(site, datetime(2026, 12, 6, 1, 30))
    assert (local.hour, local.minute) == (9, 30)
    assert clock.to_utc(local) == datetime(2026, 12, 6, 1, 30)
    assert clock.local_start(site, date(2026, 12, 6), time(9, 30)) == datetime(2026, 12, 6, 1, 30)


def test_every_capability_error_is_a_rule_error():
    """Views can catch one base class: every error class the app defines is a RuleError."""
    import hospitality
    classes = set()
    for module in pkgutil.walk_packages(hospitality.__path__, "hospitality."):
        for _, obj in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if issubclass(obj, Exception) and obj.__module__.startswith("hospitality."):
                classes.add(obj)
    assert len(classes) >= 10
    assert not [c.__qualname__ for c in classes if not issubclass(c, RuleError)]


def test_a_rule_error_keeps_its_message_and_field():
    """The message goes under the named field, or the class's default field."""
    from hospitality.photos import PhotoError
    from hospitality.visits.services import VisitError
    e = VisitError("太多", "party_size")
    assert (e.message, e.field, str(e)) == ("太多", "party_size", "太多")
    assert PhotoError("too big").field == "photo"
    assert RuleError("no").field is None


def test_idem_accepts_only_a_plausible_key(app):
    """A form's idempotency key is 8–64 letters and digits; anything else is no key."""
    for value, expected in (("abcdef12", "abcdef12"), ("short", None), ("x" * 65, None), ("abc-def-12", None)):
        with app.test_request_context(method="POST", data={"idem": value}):
            assert idem() == expected


def test_qty_fields_reads_item_ids_and_skips_malformed_names():
    """qty-<id> inputs by item id; other names and non-numeric ids are ignored."""
    form = MultiDict([("qty-3", "2"), ("qty-x", "9"), ("note-3", "n"), ("qty-", "1"), ("qty-12", "")])
    assert qty_fields(form) == {3: "2", 12: ""}
    assert qty_fields(form, "note-") == {3: "n"}


def _run_with_answer(site_id: int, user_id: int) -> tuple[int, int]:
    """A routine run of the site with one answer: (run id, answer id)."""
    from hospitality.database import write_tx
    from hospitality.extensions import db
    from hospitality.models import ChecklistAnswer, ChecklistRun
    template = factories.routine(site_id, "water_bar")
    with write_tx():
        run = ChecklistRun(site_id=site_id, template_id=template.id, shift_date=date(2026, 12, 6),
                           started_by_id=user_id)
        db.session.add(run)
        db.session.flush()
        answer = ChecklistAnswer(run_id=run.id, item_id=template.items[0].id, ok=True, answered_by_id=user_id)
        db.session.add(answer)
    return run.id, answer.id


def test_child_get_or_404_checks_the_parents_site(app):
    """A child row of another site's row, or of another parent than the one named, does not exist."""
    from flask_login import login_user

    from hospitality.access import child_get_or_404
    from hospitality.extensions import db
    from hospitality.models import ChecklistAnswer, ChecklistRun, User
    with app.app_context():
        mine, other = factories.make_site(), factories.make_site()
        user = factories.make_user(mine.id, "water_bar")
        run_id, answer_id = _run_with_answer(mine.id, user.id)
        other_run_id, foreign_answer_id = _run_with_answer(other.id, factories.make_user(other.id, "water_bar").id)
        user_id = user.id
    with app.test_request_context():
        login_user(db.session.get(User, user_id))
        run = db.session.get(ChecklistRun, run_id)
        assert child_get_or_404(ChecklistAnswer, answer_id, "run", of=run).id == answer_id
        for ident, of in ((foreign_answer_id, None), (10**6, None),
                          (answer_id, db.session.get(ChecklistRun, other_run_id))):
            with pytest.raises(NotFound):
                child_get_or_404(ChecklistAnswer, ident, "run", of=of)
