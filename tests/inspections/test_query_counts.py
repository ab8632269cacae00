"""SQL statements per page stay constant as people, checks and tasks pile up."""
import random
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from hospitality.extensions import db
from hospitality.inspections import services
from hospitality.models import ChecklistAnswer, ChecklistRun, ChecklistTemplate, Site, User
from hospitality.models.attendance import Attendance
from hospitality.models.core import utcnow
from hospitality.models.tasks import Task
from tests.factories import make_site, make_user, roster, team, template
from tests.harness import counting, login


def _a_little(app, env):
    """One of everything: a grooming check, a failed inspection with a task, a lounge round, a clock-in."""
    with app.app_context():
        site, lead = db.session.get(Site, env.site), db.session.get(User, env.lead)
        wb = db.session.get(User, env.staff["water_bar"])
        g = template(env.site, "grooming")
        for n, item in enumerate(g.active_items):
            services.answer_grooming(site, lead, wb, g, item, "0" if n == 0 else "1", None, "刘海" if n == 0 else None)
        services.complete_grooming(site, lead, wb, g)
        bar = template(env.site, "insp_water_bar")
        answer = services.answer_area(site, lead, bar, "", bar.active_items[0], "0", None, "脏")
        services.raise_task(site, lead, answer, "water_bar", "擦", "smalltask01")
        lounge = template(env.site, "lounge_rounds")
        services.answer_area(site, lead, lounge, "10:00", lounge.active_items[1], "1", None, None)
        db.session.add(Attendance(site_id=env.site, user_id=wb.id, day=env.day, clock_in_at=utcnow()))
        db.session.commit()


def _grow(app, env, people=20, days=60, tasks=300):
    """Many people on today's roster with clock-ins, 60 days of their grooming checks, hundreds of tasks."""
    rnd = random.Random(5)
    with app.app_context():
        g = template(env.site, "grooming")
        items = [i.id for i in g.active_items]
        lounge = template(env.site, "lounge_rounds")
        creators = [make_user(env.site, "lead").id for _ in range(6)]
        staff = []
        for _n in range(people):
            post = rnd.choice(["water_bar", "model_room", "concierge", "security"])
            uid = make_user(env.site, post).id
            staff.append(uid)
            roster(env.site, uid, env.day, env.lead)
        now = utcnow()
        db.session.execute(insert(Attendance), [dict(site_id=env.site, user_id=u, day=env.day, clock_in_at=now,
                                                     late_minutes=rnd.choice([0, 0, 5])) for u in staff])
        for uid in [env.staff["water_bar"], *staff]:
            for d in range(1, days + 1):
                run = ChecklistRun(site_id=env.site, template_id=g.id, shift_date=env.day - timedelta(days=d),
                                   slot=f"u{uid}", started_by_id=rnd.choice(creators), subject_user_id=uid,
                                   completed_at=now, completed_by_id=rnd.choice(creators), score=rnd.randint(60, 100))
                db.session.add(run)
                db.session.flush()
                db.session.execute(insert(ChecklistAnswer), [
                    dict(run_id=run.id, item_id=i, ok=rnd.random() > .2, note="问题", answered_by_id=run.started_by_id)
                    for i in items])
        runs = []
        for d in range(1, days + 1):
            for slot in ("10:00", "12:00", "15:00", "17:00"):
                r = ChecklistRun(site_id=env.site, template_id=lounge.id, shift_date=env.day - timedelta(days=d),
                                 slot=slot, started_by_id=rnd.choice(creators), completed_at=now,
                                 completed_by_id=rnd.choice(creators))
                db.session.add(r)
                runs.append(r)
        db.session.flush()
        answers = []
        for r in runs[:tasks]:
            a = ChecklistAnswer(run_id=r.id, item_id=lounge.active_items[0].id, ok=False, note="垃圾满了",
                                answered_by_id=r.started_by_id)
            db.session.add(a)
            answers.append(a)
        db.session.flush()
        for n, a in enumerate(answers):
            done = n % 3 == 0
            db.session.add(Task(site_id=env.site, run_id=a.run_id, answer_id=a.id,
                                assignee=rnd.choice(["cleaner", "water_bar", "model_room"]), text=f"任务{n}",
                                created_by_id=rnd.choice(creators), status="done" if done else "open",
                                done_by_id=rnd.choice(creators) if done else None, done_at=now if done else None))
        db.session.commit()
        assert db.session.scalar(select(db.func.count()).select_from(Task)) >= 200


def db_engine(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def _measure(app, client, url) -> int:
    with counting(app) as seen:
        r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return len(seen)


@pytest.mark.parametrize("who,url", [
    ("lead", "/inspections/"),
    ("boss", "/inspections/"),
    ("lead", "/inspections/tasks"),
    ("water_bar", "/inspections/tasks"),
    ("lead", "/inspections/people/{wb}"),
    ("lead", "/inspections/grooming/{mr}"),
    ("lead", "/inspections/areas/{lounge}?at=10:00"),
    ("lead", "/inspections/areas/{bar}"),
])
def test_query_count_is_constant_as_data_grows(app, who, url):
    """The same page issues the same number of SQL statements with a few rows and with thousands."""
    with app.app_context():
        env = team(make_site().id)
        lounge = template(env.site, "lounge_rounds").id
        bar = db.session.scalar(select(ChecklistTemplate.id).where(ChecklistTemplate.site_id == env.site,
                                                                   ChecklistTemplate.seed_key == "insp_water_bar"))
    _a_little(app, env)
    username = {"lead": env.lead_name, "boss": env.boss_name, "water_bar": f"water_bar{env.site}"}[who]
    url = url.format(wb=env.staff["water_bar"], mr=env.staff["model_room"], lounge=lounge, bar=bar)
    client = login(app, username)
    small = _measure(app, client, url)
    _grow(app, env)
    large = _measure(app, client, url)
    assert large == small, f"{url}: {small} statements with little data, {large} with thousands of rows"
    if url == "/inspections/":
        # The session, then the grooming lists, the people on duty with their checks, the area rounds with their runs
        # and counts and the open tasks: one statement on PostgreSQL (database.read_panels), four on SQLite (more
        # than database.SQLITE_UNION_MAX reads run one by one there).
        assert small == (2 if db_engine(app) == "postgresql" else 5), small
