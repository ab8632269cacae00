"""Staff evaluation: each rule counts on small made-up data, weights change the score, another site's rows never
count, a person sees only their own month, bad input is refused, the Excel opens."""
import io
from datetime import timedelta

from openpyxl import load_workbook

from hospitality.clock import utcnow
from hospitality.database import write_tx
from hospitality.evaluation import reads
from hospitality.extensions import db
from hospitality.models import Site
from hospitality.models.attendance import Attendance
from hospitality.models.evaluation import EvaluationAdjustment, EvaluationWeight
from hospitality.models.tasks import Task
from tests.factories import make_site, make_user
from tests.harness import login


def _late(site, user, day, minutes=5):
    with write_tx():
        db.session.add(Attendance(site_id=site.id, user_id=user.id, day=day, clock_in_at=utcnow(),
                                  late_minutes=minutes))


def _overdue_task(site, user, by):
    with write_tx():
        db.session.add(Task(site_id=site.id, assignee="person", assignee_user_id=user.id, text="补货",
                            created_by_id=by.id, created_at=utcnow() - timedelta(hours=3), target_minutes=30))


def _item(m, rule):
    return next(i for i in m.items if i.rule == rule)


def test_rules_count_weights_score_and_other_sites(app):
    """Lateness and overdue tasks count per person, weights change the score, another site's rows never count."""
    with app.app_context():
        site, other = make_site(), make_site()
        bar, boss = make_user(site.id, "water_bar"), make_user(site.id, "manager")
        far = make_user(other.id, "water_bar")
        today = site.today()
        _late(site, bar, today)
        _overdue_task(site, bar, boss)
        _late(other, far, today)
        m = reads.months(db.session.get(Site, site.id), today.replace(day=1), only=bar.id)[0]
        assert (_item(m, "late").count, _item(m, "task_overdue").count) == (1, 1)
        assert m.score == 100 - 2 - 2
        with write_tx():
            db.session.add(EvaluationWeight(site_id=site.id, rule="late", points=7))
            db.session.add(EvaluationAdjustment(site_id=site.id, user_id=bar.id, month=today.replace(day=1),
                                                kind="penalty", points=3, yuan=20, reason="x", created_by_id=boss.id))
        m = reads.months(db.session.get(Site, site.id), today.replace(day=1), only=bar.id)[0]
        assert m.score == 100 - 7 - 2 - 3 and m.yuan == -20
        f = reads.months(db.session.get(Site, other.id), today.replace(day=1), only=far.id)[0]
        assert _item(f, "task_overdue").count == 0 and f.score == 98


def test_person_sees_only_own_month_and_manager_adds_penalty(app):
    """A water-bar person sees their own month, not another's; the manager adds a penalty; bad input 422."""
    with app.app_context():
        site = make_site()
        bar, other, boss = make_user(site.id, "water_bar"), make_user(site.id, "concierge"), \
            make_user(site.id, "manager")
    c = login(app, bar.username)
    assert bar.name in c.get("/evaluation/").text
    assert c.get(f"/evaluation/person/{other.id}").status_code == 403
    m = login(app, boss.username)
    r = m.post(f"/evaluation/person/{bar.id}/adjust", data={"kind": "penalty", "points": "2", "yuan": "20",
                                                             "reason": ""})
    assert r.status_code == 422 and 'id="reason-err"' in r.text
    r = m.post(f"/evaluation/person/{bar.id}/adjust", data={"kind": "penalty", "points": "2", "yuan": "20",
                                                             "reason": "仪容不合格"})
    assert r.status_code == 302
    assert "仪容不合格" in c.get("/evaluation/").text
    page = m.get(f"/evaluation/person/{bar.id}").text  # the reason, who gave it, the points and yuan taken
    assert "仪容不合格" in page and boss.name in page and "-2" in page and "20" in page
    assert m.get("/evaluation/team?month=garbage").status_code == 200


def test_bad_weights_save_nothing_and_excel_opens(app):
    """A weight outside 0–100 is refused next to its field with nothing saved; the Excel opens with openpyxl."""
    with app.app_context():
        site = make_site()
        make_user(site.id, "water_bar")
        boss = make_user(site.id, "manager")
    m = login(app, boss.username)
    data = {"late": "101", "left_early": "2", "absent": "10", "grooming": "x", "routine_late": "1",
            "routine_missed": "3", "discrepancy": "5", "task_overdue": "2"}
    r = m.post("/evaluation/settings", data=data)
    assert r.status_code == 422 and 'id="late-err"' in r.text and 'id="grooming-err"' in r.text
    with app.app_context():
        assert db.session.query(EvaluationWeight).count() == 0
    r = m.get("/evaluation/team?format=xlsx")
    ws = load_workbook(io.BytesIO(r.data)).active
    assert ws.max_row == 2


def test_the_team_page_reads_a_fixed_number_of_statements(app):
    """More people and more of their days add no statement; on PostgreSQL the month's counts of every rule, the
    weights and the manager's adjustments are one statement (with the people and the session: 3), where each rule
    read on its own was a round trip."""
    from tests.harness import counting
    with app.app_context():
        site = make_site()
        boss = make_user(site.id, "manager")
        people = [make_user(site.id, "water_bar")]
        _late(site, people[0], site.today())
    manager = login(app, boss.username)
    manager.get("/evaluation/team")
    with counting(app) as before:
        assert manager.get("/evaluation/team").status_code == 200
    with app.app_context():
        for post in ("concierge", "security", "model_room"):
            person = make_user(site.id, post)
            _late(site, person, site.today())
            _overdue_task(site, person, boss)
    with counting(app) as after:
        page = manager.get("/evaluation/team")
    assert page.status_code == 200 and len(after) == len(before), (before, after)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert len(after) == 3, after
