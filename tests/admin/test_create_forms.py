"""Create forms posted exactly as a browser sends them: only the fields the add form renders.

WTForms' BooleanField reads False when its checkbox is absent, so a create form that hides a switch would save
the opposite of its default (a new sales rep came out "not in use")."""
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from hospitality.extensions import db
from hospitality.models import ChecklistItem, ChecklistTemplate, Item, Location, SalesRep, Site, User
from tests.factories import make_site, make_user


class _Forms(HTMLParser):
    """The fields of each POST form on a page, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "").lower() == "post":
            self.forms.append({"action": a.get("action"), "fields": {}, "boxes": set()})
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "file"):
            if a.get("type") == "checkbox":
                self.forms[-1]["boxes"].add(a["name"])
                if "checked" in a:
                    fields.setdefault(a["name"], a.get("value", "y"))
            else:
                fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select:
            if self._select not in fields or "selected" in a:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            fields[a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def as_rendered(html: str, fill: dict) -> tuple[dict, set]:
    """The data a browser posts from the page's form that has a `name` field, with `fill` typed into its
    text fields (never adding a field the form does not render); and the form's checkbox names."""
    parser = _Forms()
    parser.feed(html)
    form = next(f for f in parser.forms if "name" in f["fields"] or "text" in f["fields"])
    data = dict(form["fields"])
    for key, value in fill.items():
        assert key in data, f"the form renders no field {key!r}"
        data[key] = value
    return data, form["boxes"]


@pytest.fixture
def boss(app, client):
    """A Chinese-speaking manager of a site, logged in."""
    with app.app_context():
        site = make_site(code="FORM")
        make_user(site.id, "manager", username="formboss")
    client.post("/login", data={"username": "formboss", "password": "secret-pass-1"})
    return SimpleNamespace(site=site.id, client=client)


def _create(app, boss, page_url, fill, post_url=None):
    """Open an add form, post it as rendered, and return the checkboxes it showed."""
    page = boss.client.get(page_url)
    assert page.status_code == 200
    data, boxes = as_rendered(page.text, fill)
    resp = boss.client.post(post_url or page_url, data=data)
    assert resp.status_code == 302, resp.text[:800]
    return boxes


def test_new_sales_rep_is_in_use(app, boss):
    """A rep added through the form (which has no switch) is in use and listed without "(not in use)"."""
    boxes = _create(app, boss, "/admin/reps", {"name": "周顾问", "phone": "13800001111"})
    assert "active" not in boxes
    with app.app_context():
        rep = db.session.scalar(db.select(SalesRep).where(SalesRep.name == "周顾问"))
        assert rep.active is True
    listing = boss.client.get("/admin/reps").text
    assert "周顾问" in listing and "已停用" not in listing


def test_new_person_is_active(app, boss):
    """A person added through the form (no active switch) is active and can log in."""
    _create(app, boss, "/admin/staff/new", {"username": "newbie", "name": "新同事", "badge_no": "N-1",
                                            "password": "first-pass-1"})
    with app.app_context():
        assert db.session.scalar(db.select(User.active).where(User.username == "newbie")) is True


def test_new_location_is_in_use(app, boss):
    """The add-location form shows its switch on, so the new location is in use."""
    boxes = _create(app, boss, "/admin/locations/new", {"name": "前台"})
    assert "active" in boxes
    with app.app_context():
        assert db.session.scalar(db.select(Location.active).where(Location.name == "前台")) is True


def test_new_site_is_active(app, boss):
    """A sales center created through its form is active."""
    _create(app, boss, "/admin/sites/new", {"name": "滨江售楼处", "code": "BJ-1"})
    with app.app_context():
        assert db.session.scalar(db.select(Site.active).where(Site.code == "BJ-1")) is True


def test_new_checklist_and_item_are_in_use(app, boss):
    """A checklist and its first item added through their forms are in use (and the item required)."""
    _create(app, boss, "/checklists/templates/new", {"name": "新清单"})
    with app.app_context():
        tpl = db.session.scalar(db.select(ChecklistTemplate).where(ChecklistTemplate.name == "新清单"))
        assert tpl.active is True
    _create(app, boss, f"/checklists/templates/{tpl.id}/items/new", {"text": "检查灯光"})
    with app.app_context():
        item = db.session.scalar(db.select(ChecklistItem).where(ChecklistItem.text == "检查灯光"))
        assert (item.active, item.required) == (True, True)


def test_new_stock_item_is_in_use(app, boss):
    """A stock item added through its form is in use and counted in whole units."""
    _create(app, boss, "/stock/items/new", {"name": "矿泉水"})
    with app.app_context():
        item = db.session.scalar(db.select(Item).where(Item.name == "矿泉水"))
        assert (item.active, item.whole) == (True, True)
