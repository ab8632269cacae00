"""A site with a person per post, fixtures in both model rooms, and another site: the cast of the register."""
from types import SimpleNamespace

from flask_babel import force_locale, gettext
from markupsafe import escape

from hospitality.extensions import db
from hospitality.inventory import services as inventory
from hospitality.models import Site, StockCount, User
from hospitality.models.workers import WorkerEntry
from hospitality.workers import services
from tests import factories
from tests.inventory.helpers import location, make_item, make_user

POSTS = ("model_room", "security", "lead", "manager", "water_bar", "concierge")


def worker_env(app):
    with app.app_context():
        site = factories.make_site()
        users = {p: make_user(site.id, p, username=f"{p}{site.id}").id for p in POSTS}
        room, room2 = location(site.id, "model_room"), location(site.id, "model_room", 1)
        vase = make_item(site.id, "model_room", name="花瓶", expected=2, unit="件")
        lamp = make_item(site.id, "model_room", name="台灯", expected=1, unit="件")
        make_item(site.id, "model_room", name="抱枕", expected=4, unit="件", n=1)
        other = factories.make_site()
        other_keeper = make_user(other.id, "model_room", username=f"model_room{other.id}").id
        return SimpleNamespace(site=site.id, users=users, room=room.id, room2=room2.id, vase=vase.id,
                               lamp=lamp.id, other=other.id, other_keeper=other_keeper,
                               names={p: f"{p}{site.id}" for p in users})


def who(env, post) -> User:
    return db.session.get(User, env.users[post])


def site_of(env) -> Site:
    return db.session.get(Site, env.site)


def register(env, post="security", people=(("张三", "13800138000"),), room=None, company="鑫达装修",
             purpose="repair", note=None, supervisor_id=None, supervisor_name=None, idem_key=None) -> WorkerEntry:
    """A crew registered through the service (supervised by the model-room attendant unless told)."""
    if supervisor_id is None and supervisor_name is None:
        supervisor_id = env.users["model_room"]
    return services.register(
        site_of(env), who(env, post), location_id=room or env.room, company=company,
        names=[n for n, _p in people], phones=[p for _n, p in people], purpose=purpose, purpose_note=note,
        supervisor_id=supervisor_id, supervisor_name=supervisor_name, idem_key=idem_key)


def submit(env, count: StockCount, counted: dict | None = None, post="model_room", user=None) -> StockCount:
    """Submit a count: all match, or the given numbers (item id → qty) for the room's items."""
    count = db.session.get(StockCount, count.id)
    user = user or who(env, post)
    if counted is None:
        return inventory.submit_count(site_of(env), user, count, None, all_match=True)
    items = inventory.location_items(count.location_id)
    book = {i.id: str(int(inventory.ledger.on_hand([i.id])[i.id])) for i in items}
    return inventory.submit_count(site_of(env), user, count, book | counted)


def inside_crew(env, **kw) -> WorkerEntry:
    """A crew registered, counted before (all present) and let in."""
    entry = register(env, **kw)
    submit(env, services.count_before(site_of(env), who(env, "model_room"), entry))
    services.go_in(site_of(env), who(env, "security"), entry)
    return db.session.get(WorkerEntry, entry.id)


def msg(app, msgid: str, **kw) -> str:
    """A message in the default language (Chinese), before and after its translation is merged."""
    with app.test_request_context(), force_locale("zh_Hans"):
        return gettext(msgid, **kw)


def text(app, msgid: str, **kw) -> str:
    """A message as a page shows it (HTML-escaped)."""
    return str(escape(msg(app, msgid, **kw)))
