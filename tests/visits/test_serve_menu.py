"""The serve form offers what a guest is served (drinks, a pot of tea, a fruit plate, candy) in its unit, never cups,
tea leaves or fruit by the 斤; a prepared drink that is out links to preparing it; its served cost is its recipe's."""
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.inventory import recipes
from hospitality.models import Item, Site, StockMove, User, Visit
from hospitality.seed import add_demo_items
from hospitality.visits import services
from hospitality.visits.reads import detail as visit_reads
from hospitality.visits.services import VisitError
from tests import factories
from tests.factories import make_user, on_hand
from tests.harness import login

HX = {"HX-Request": "true", "HX-Target": "visit"}


@pytest.fixture
def env(app):
    """A site with the demo bar (pot and plate at 0, 14 包 of leaves), its water bar and a group of three."""
    with app.app_context():
        site = factories.make_site()
        wb = make_user(site.id, "water_bar")
        guard = make_user(site.id, "security")
        with write_tx():
            add_demo_items(db.session.get(Site, site.id), wb.id)
        items = {i.name: i.id for i in db.session.scalars(select(Item).where(Item.site_id == site.id))}
        with app.test_request_context():
            visit = services.record_arrival(db.session.get(Site, site.id), guard, 3, False, None, None)
        return SimpleNamespace(site=site.id, wb=wb.id, wb_name=wb.username, visit=visit.id, items=items,
                               pot=items["泡好的茶水"], plate=items["切好的果盘"], leaves=items["铁观音茶叶"],
                               cups=items["一次性纸杯"], fruit=items["水果"], water=items["矿泉水"])


def _s(env):
    return db.session.get(Site, env.site)


def _wb(env):
    return db.session.get(User, env.wb)


def _prepare(env, name, n):
    recipes.prepare(_s(env), _wb(env), db.session.get(Item, env.items[name]), str(n), None)


def test_choices_are_what_a_guest_is_served_in_its_unit(app, env):
    """Drinks and table items only, each with its unit; the pot and plate are out until prepared."""
    with app.test_request_context():
        choices = {c.label: c for c in visit_reads.bar_choices(_s(env))}
        assert set(choices) == {"矿泉水", "泡好的茶水", "咖啡胶囊", "橙汁", "切好的果盘", "糖果"}
        assert (choices["泡好的茶水"].unit, choices["切好的果盘"].unit, choices["矿泉水"].unit) == ("壶", "份", "瓶")
        assert {k for k, c in choices.items() if c.drink} == {"矿泉水", "泡好的茶水", "咖啡胶囊", "橙汁"}
        assert {k for k, c in choices.items() if c.out} == {"泡好的茶水", "切好的果盘"}
        _prepare(env, "泡好的茶水", 1)
        assert {c.label for c in visit_reads.bar_choices(_s(env)) if c.out} == {"切好的果盘"}


def test_a_prepared_pot_is_served_at_the_cost_of_its_leaves(app, env):
    """Refused while no pot is made; brewed, a guest's tea and a plate for the table cost ¥8 + ¥18."""
    with app.test_request_context():
        visit = db.session.get(Visit, env.visit)
        with pytest.raises(VisitError) as e:
            services.serve(_s(env), _wb(env), visit, {}, None, [str(env.pot)])
        assert e.value.field == "qty" and "0" in e.value.message
        _prepare(env, "泡好的茶水", 1)
        _prepare(env, "切好的果盘", 1)
        services.serve(_s(env), _wb(env), visit, {env.plate: "1"}, None, [str(env.pot)])
        assert on_hand(env.pot) == 0 and on_hand(env.leaves) == 13 and on_hand(env.fruit) == Decimal("4.5")
        assert db.session.get(Visit, env.visit).served_cost == Decimal("26.00")
        lines, cost = visit_reads.served(db.session.get(Visit, env.visit))
        assert {(i.label, q) for i, q in lines} == {("泡好的茶水", 1), ("切好的果盘", 1)} and cost == Decimal("26.00")


@pytest.mark.parametrize("quantities, guests, field", [
    ({}, ["{plate}"], "guest-1"),        # a fruit plate is for the table, not a guest's drink
    ({}, ["{cups}"], "guest-1"),         # cups are not served
    ({"{cups}": "3"}, [], "form"),       # nor typed in for the table
    ({"{leaves}": "1"}, [], "form"),     # tea leaves neither
])
def test_what_is_not_on_the_menu_is_refused_and_nothing_served(app, env, quantities, guests, field):
    """A table item as a guest's drink, cups or tea leaves: refused, no ledger row for the visit."""
    ids = {"plate": env.plate, "cups": env.cups, "leaves": env.leaves}
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(VisitError) as e:
            services.serve(_s(env), _wb(env), db.session.get(Visit, env.visit),
                           {int(k.format(**ids)): v for k, v in quantities.items()}, None,
                           [g.format(**ids) for g in guests])
        assert (e.value.field or "form") == field
        assert db.session.scalar(select(StockMove.id).where(StockMove.ref_type == "visit")) is None


def test_serve_form_lists_the_menu_with_units_and_links_to_prepare(app, env):
    """The bar's visit page: options in their unit, no cups or leaves, and 制作 for the pot and plate that are out."""
    bar = login(app, env.wb_name)
    page = bar.get(f"/visits/{env.visit}").text
    form = page[page.index('hx-post="/visits/'):page.index('class="serve-btn"')]
    assert f'<option value="{env.pot}">泡好的茶水(壶)</option>' in form
    assert f'<option value="{env.plate}">' not in form  # the plate is no guest's drink …
    assert f'name="qty-{env.plate}"' in form and "切好的果盘<small" in form  # … it is for the table
    assert "一次性纸杯" not in form and "铁观音茶叶" not in form and f'name="qty-{env.fruit}"' not in form
    links = re.findall(r'href="(/stock/prepare\?[^"]+)"', page)
    assert sorted(links) == sorted([f"/stock/prepare?item_id={env.pot}&amp;visit_id={env.visit}",
                                    f"/stock/prepare?item_id={env.plate}&amp;visit_id={env.visit}"])


def test_prepare_from_the_serve_form_goes_back_to_the_group(app, env):
    """制作 from the visit: the pot is brewed and the attendant is back on the group's page, the pot served."""
    bar = login(app, env.wb_name)
    assert bar.get(f"/stock/prepare?item_id={env.pot}&visit_id={env.visit}").status_code == 200
    r = bar.post("/stock/prepare", data={"item_id": str(env.pot), "qty": "1", "visit_id": str(env.visit),
                                         "idem": "prepvisit0001"})
    assert r.status_code == 302 and r.location.endswith(f"/visits/{env.visit}")
    page = bar.get(r.location).text
    assert "/stock/prepare?item_id=" + str(env.pot) not in page  # made: no longer out
    r = bar.post(f"/visits/{env.visit}/serve", headers=HX, data={"guest": [str(env.pot)], "idem": "servepot0001"})
    assert r.status_code == 200 and 'id="visit"' in r.text and "<html" not in r.text
    assert "¥8" in r.text
    with app.app_context():
        assert on_hand(env.pot) == 0
