"""SQL statements per handover page stay constant as handovers, lines, visits and discrepancies pile up."""
from datetime import timedelta

import pytest

from hospitality.extensions import db
from hospitality.handover import services
from hospitality.models import Discrepancy, Location, StockCount, Visit
from hospitality.models.core import utcnow
from hospitality.models.handover import Handover, HandoverLine
from tests.factories import (
    fresh,
    handover_env,
    make_item,
    make_user,
    ready_water_bar,
    site_of,
    submitted_water_bar,
    who,
)
from tests.harness import counting, login


def _small(app, env) -> dict:
    """One of each: an accepted handover with a dispute, a draft of the model room, one submitted at the bar."""
    with app.app_context():
        first = submitted_water_bar(env)
        key = next(ln for ln in first.lines if ln.kind == "key")
        services.dispute(site_of(env), who(env, "wb_in"), key, "不对")
        services.accept(site_of(env), who(env, "wb_in"), fresh(first.id))
        second = ready_water_bar(env)
        services.add_line(site_of(env), who(env, "wb_out"), second, "watch", "3号桌", None)
        services.submit(site_of(env), who(env, "wb_out"), fresh(second.id), env.users["wb_in"], "", True)
        draft = services.start(site_of(env), who(env, "mr_out"), env.users["mr_in"], None)
        services.start(site_of(env), who(env, "sec_out"), env.users["sec_in"], None)
        return {"accepted": first.id, "submitted": second.id, "draft": draft.id}


def _grow(app, env, ids: dict) -> None:
    """Dozens of handovers by many people with lines and disputes, more lines on the measured ones, more fixtures,
    guests on site, discrepancies and handover counts."""
    with app.app_context():
        people = [make_user(env.site, "security").id for _ in range(8)]
        now = utcnow()
        bar = db.session.get(Location, env.bar)
        for n in range(60):
            h = Handover(site_id=env.site, post="security", day=site_of(env).today() - timedelta(days=n % 5),
                         from_user_id=people[n % 8], to_user_id=people[(n + 1) % 8], status="accepted",
                         started_at=now, submitted_at=now, accepted_at=now - timedelta(hours=n))
            db.session.add(h)
            db.session.flush()
            for k in range(4):
                db.session.add(HandoverLine(handover_id=h.id, site_id=env.site, position=k, kind="key",
                                            text=f"钥匙{k}", state="open", disputed=k == 0,
                                            dispute_reason="不对" if k == 0 else None, disputed_at=now))
            c = StockCount(site_id=env.site, location_id=bar.id, kind="handover", status="matched",
                           started_by_id=people[n % 8], submitted_at=now, ref_type="handover", ref_id=h.id)
            db.session.add(c)
        for hid in ids.values():
            prev = db.session.scalars(db.select(HandoverLine.id).limit(20)).all()
            for k, origin in enumerate(prev):
                db.session.add(HandoverLine(handover_id=hid, site_id=env.site, position=100 + k, kind="watch",
                                            text=f"注意{k}", state="open", carried_from_id=origin, origin_id=origin))
                db.session.add(HandoverLine(handover_id=hid, site_id=env.site, position=200 + k, kind="damage",
                                            text=f"损坏{k}", state="open", disputed=True, dispute_reason="x",
                                            disputed_at=now))
        for n in range(12):
            make_item(env.site, "model_room", name=f"摆件{n}", expected=1)
            db.session.add(Visit(site_id=env.site, party_size=2, recorded_by_id=people[0]))
        for n in range(6):
            c = StockCount(site_id=env.site, location_id=env.room, kind="spot", status="discrepancy",
                           started_by_id=people[n % 8], submitted_at=now)
            db.session.add(c)
            db.session.flush()
            db.session.add(Discrepancy(site_id=env.site, count_id=c.id, location_id=env.room))
        db.session.commit()


def _measure(app, client, url) -> int:
    with counting(app) as seen:
        r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return len(seen)


PAGES = [
    ("wb_out", "/handover/"), ("wb_in", "/handover/"), ("lead", "/handover/"), ("boss", "/handover/"),
    ("wb_in", "/handover/{submitted}"), ("lead", "/handover/{accepted}"), ("mr_out", "/handover/{draft}"),
    ("boss", "/handover/history?post=security"), ("boss", "/handover/history?post=water_bar"),
]


@pytest.mark.parametrize("who_, url", PAGES)
def test_query_count_is_constant_as_data_grows(app, who_, url):
    """The same handover page issues the same number of SQL statements with a few rows and with many."""
    env = handover_env(app)
    ids = _small(app, env)
    url = url.format(**ids)
    client = login(app, env.names[who_])
    small = _measure(app, client, url)
    _grow(app, env, ids)
    large = _measure(app, client, url)
    assert large == small, f"{url}: {small} statements with little data, {large} with many rows"
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    if who_ in ("lead", "boss") and url == "/handover/" and postgresql:
        assert small == 2, small  # the session; the open disputes, the day's handovers, their counts and disputes
