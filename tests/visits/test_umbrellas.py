"""Umbrellas: lent, returned in part or in full, never below zero; the card and the concierge's today screen."""
import re
import threading

import pytest
from sqlalchemy import func, select

from hospitality.extensions import db
from hospitality.models import AuditLog, UmbrellaLoan, Visit, VisitEvent
from hospitality.visits import services
from hospitality.visits.reads import detail as visit_reads
from hospitality.visits.reads import live as live_reads
from hospitality.visits.services import VisitError
from tests.factories import site_of, visit_env, who
from tests.harness import login

HX = {"HX-Request": "true", "HX-Target": "visit"}


@pytest.fixture
def env(app):
    return visit_env(app)


def arrive(env, size=3):
    return services.record_arrival(site_of(env), who(env, "concierge"), size, False, None, None)


def lend(env, v, n, key=None):
    return services.lend_umbrellas(site_of(env), who(env, "concierge"), v, n, key)


def give_back(env, v, n, key=None):
    return services.return_umbrellas(site_of(env), who(env, "concierge"), v, n, key)


def group_with_two_out(app, env) -> int:
    """A walk-in group the concierge lent 2 umbrellas: its visit id."""
    with app.test_request_context():
        v = arrive(env)
        lend(env, v, 2)
        return v.id


def open_rows(visit_id):
    return db.session.execute(select(UmbrellaLoan.qty, UmbrellaLoan.returned_at.is_(None))
                              .where(UmbrellaLoan.visit_id == visit_id).order_by(UmbrellaLoan.id)).all()


def returned_events(visit_id):
    return db.session.scalars(select(VisitEvent.detail).where(VisitEvent.visit_id == visit_id,
                                                              VisitEvent.kind == "umbrella_returned")).all()


def test_part_of_a_loan_comes_back_and_the_loan_splits(ctx, env):
    """Returning 1 of 2 leaves 1 out: the returned part is its own closed row, the open row keeps the rest."""
    v = arrive(env)
    lend(env, v, 2)
    assert give_back(env, v, "1") == 1
    assert visit_reads.umbrellas_out_of(v) == 1 and live_reads.umbrellas_out(env.site) == 1
    assert sorted(open_rows(v.id)) == [(1, False), (1, True)]
    assert [d["qty"] for d in returned_events(v.id)] == [1]
    assert give_back(env, v, 1) == 0
    assert visit_reads.umbrellas_out_of(v) == 0 and live_reads.umbrellas_out(env.site) == 0
    assert db.session.scalar(select(func.sum(UmbrellaLoan.qty)).where(UmbrellaLoan.visit_id == v.id)) == 2


def test_full_return_across_loans_closes_the_oldest_first(ctx, env):
    """Lent 2 then 3: returning 3 closes the first loan and splits the second; returning all closes every row."""
    v = arrive(env)
    lend(env, v, 2)
    lend(env, v, 3)
    assert give_back(env, v, 3) == 2
    rows = open_rows(v.id)
    assert rows[0] == (2, False) and (2, True) in rows and sum(q for q, _open in rows) == 5
    assert give_back(env, v, 2) == 0
    assert all(not still for _q, still in open_rows(v.id))
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "umbrella",
                                                                              AuditLog.action == "return")) == 2


@pytest.mark.parametrize("qty", ["3", "0", "-1", "", "two"])
def test_returning_more_than_out_or_nothing_is_refused(ctx, env, qty):
    """More than is out, 0 or not a number: refused under the return field, nothing changes."""
    v = arrive(env)
    lend(env, v, 2)
    with pytest.raises(VisitError) as e:
        give_back(env, v, qty)
    assert e.value.field == "return_qty" and "2" in e.value.message
    assert open_rows(v.id) == [(2, True)] and returned_events(v.id) == []


def test_returning_with_nothing_out_is_refused(ctx, env):
    """A group with no umbrellas out cannot return any."""
    v = arrive(env)
    with pytest.raises(VisitError):
        give_back(env, v, 1)


def test_a_double_tap_returns_and_lends_once(ctx, env):
    """The same form sent twice returns once (and lends once); a new form returns again."""
    v = arrive(env)
    assert lend(env, v, 3, "lendkey0001") is not None
    assert lend(env, v, 3, "lendkey0001") is None
    assert visit_reads.umbrellas_out_of(v) == 3
    assert give_back(env, v, 1, "backkey0001") == 2
    assert give_back(env, v, 1, "backkey0001") == 2
    assert give_back(env, v, 1, "backkey0002") == 1
    assert len(returned_events(v.id)) == 2


def test_concurrent_returns_never_go_below_zero(app, env):
    """Six phones return 1 each of 4 out at the same moment: 4 succeed, 2 are refused, none is left out."""
    with app.app_context():
        vid = arrive(env).id
        lend(env, db.session.get(Visit, vid), 4)
    done, refused = [], []

    def go(n):
        with app.test_request_context():
            try:
                give_back(env, db.session.get(Visit, vid), 1, f"race{n:08d}")
                done.append(n)
            except VisitError:
                refused.append(n)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=go, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(done) == 4 and len(refused) == 2
    with app.app_context():
        assert live_reads.umbrellas_out(env.site) == 0
        rows = open_rows(vid)
        assert all(q > 0 for q, _open in rows) and sum(q for q, _open in rows) == 4
        assert sum(d["qty"] for d in returned_events(vid)) == 4


def test_return_form_swaps_the_card_with_what_is_still_out(app, env):
    """The concierge returns 1 of 2 from the card: the fragment says 1 out, the timeline 归还 1 把伞."""
    vid = group_with_two_out(app, env)
    desk = login(app, env.names["concierge"])
    page = desk.get(f"/visits/{vid}").text
    assert "伞：2 把未还" in page and 'name="return_qty"' in page and "借出 2 把伞" in page
    r = desk.post(f"/visits/{vid}/umbrellas/return", data={"return_qty": "1", "idem": "cardkey0001"}, headers=HX)
    assert r.status_code == 200 and r.text.lstrip().startswith('<article id="visit"')
    assert "伞：1 把未还" in r.text and "归还 1 把伞" in r.text
    assert re.search(r'name="return_qty"[^>]*value="1"', r.text)  # all that is out is the default
    again = desk.post(f"/visits/{vid}/umbrellas/return", data={"return_qty": "1", "idem": "cardkey0001"},
                      headers=HX)
    assert again.status_code == 200 and "伞：1 把未还" in again.text  # the double tap counted once
    r = desk.post(f"/visits/{vid}/umbrellas/return", data={"return_qty": "1", "idem": "cardkey0002"}, headers=HX)
    assert "未还" not in r.text and 'name="return_qty"' not in r.text


def test_over_return_is_422_with_the_message_under_the_field(app, env):
    """Returning 5 of 2 re-renders the card with 422 and the Chinese message next to the field."""
    vid = group_with_two_out(app, env)
    desk = login(app, env.names["concierge"])
    r = desk.post(f"/visits/{vid}/umbrellas/return", data={"return_qty": "5", "idem": "overkey0001"}, headers=HX)
    assert r.status_code == 422 and r.text.lstrip().startswith('<article id="visit"')
    assert re.search(r'name="return_qty"[^>]*aria-invalid="true"[^<]*<button[^<]*</button></form>\s*'
                     r'<small class="error">未还雨伞 2 把，可归还 1 到 2 把。</small>', r.text)
    with app.app_context():
        assert live_reads.umbrellas_out(env.site) == 2


def test_plain_form_return_redirects_to_the_visit(app, env):
    """Without htmx the return is a plain post that lands back on the visit."""
    vid = group_with_two_out(app, env)
    desk = login(app, env.names["concierge"])
    r = desk.post(f"/visits/{vid}/umbrellas/return", data={"return_qty": "2"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/visits/{vid}")
    with app.app_context():
        assert live_reads.umbrellas_out(env.site) == 0


def test_concierge_today_screen_lists_groups_with_umbrellas_out(app, env):
    """On the concierge's today screen each group with umbrellas out says how many, linked to its visit; a group
    that left with them stays listed; other posts' lists do not carry it."""
    with app.test_request_context():
        here, gone = arrive(env), arrive(env, 2)
        lend(env, here, 2)
        lend(env, gone, 1)
        services.depart(site_of(env), who(env, "concierge"), gone)
        give_back(env, here, 1)
        ids = here.id, gone.id
    html = login(app, env.names["concierge"]).get("/").text
    for vid, n in zip(ids, (1, 1), strict=True):
        assert re.search(rf'<a href="/visits/{vid}">[^<]*<small class="umb">伞：{n} 把未还</small></a>', html)
    live = login(app, env.names["concierge"]).get("/visits/live", headers={"HX-Request": "true"}).text
    assert live.count('class="umb"') == 2
    assert 'class="umb"' not in login(app, env.names["water_bar"]).get("/").text
