"""htmx inherits hx-target and hx-swap into every element inside, boosted links included: a container that makes
its own request (a polled list, a lazy section) must not hand them down to the links and forms it holds."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[1] / "hospitality" / "templates"
CONTAINER = re.compile(r"<(ul|ol|section|div|article|nav|table|tbody|details|main)\b[^>]*>", re.S)


def test_containers_that_swap_do_not_hand_their_target_to_links_inside():
    """Every container tag with hx-target or hx-swap disinherits them (or is replaced whole on load)."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        for tag in CONTAINER.finditer(path.read_text(encoding="utf-8")):
            text = tag.group(0)
            if not re.search(r"\shx-(target|swap)=", text):
                continue
            lazy = 'hx-trigger="load"' in text  # replaced by its own content before anyone can tap inside
            if lazy or re.search(r'hx-disinherit="[^"]*hx-target[^"]*"', text) and "hx-swap" in text.split(
                    "hx-disinherit=", 1)[1].split('"')[1]:
                continue
            offenders.append(f"{path.relative_to(TEMPLATES)}: {text[:90]}")
    assert offenders == []


def test_live_list_replaces_itself_by_its_answer_not_by_inherited_attributes(app, client, auth):
    """The polled list carries no hx-target/hx-swap for its rows to inherit: its answers say outerHTML, and the
    Seen button of a row (which names no target) gets the list retargeted onto #visits-live."""
    from tests.factories import make_site, make_user

    text = (TEMPLATES / "visits" / "_live.html").read_text(encoding="utf-8")
    assert "hx-target" not in text and "hx-swap" not in text
    with app.app_context():
        site = make_site()
        make_user(site.id, "water_bar", username="bar-live")
    auth.login("bar-live")
    r = client.get("/visits/live", headers={"HX-Request": "true"})
    assert r.headers["HX-Reswap"] == "outerHTML" and r.get_data(as_text=True).startswith('<ul id="visits-live"')
    page = client.get("/visits/live", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "HX-Reswap" not in page.headers and page.get_data(as_text=True).count('<header class="bar">') == 1


def test_a_boosted_menu_link_gets_the_whole_page(app, client, auth):
    """A boosted navigation (HX-Request and HX-Boosted) swaps the body: it gets the page with its header and menu;
    a plain htmx request to the same URL gets the fragment alone."""
    from tests.factories import make_site, make_user

    with app.app_context():
        site = make_site()
        make_user(site.id, "manager", username="boss-boost")
    auth.login("boss-boost")
    for url in ("/board", "/admin/audit"):
        boosted = client.get(url, headers={"HX-Request": "true", "HX-Boosted": "true"}).get_data(as_text=True)
        assert boosted.count('<header class="bar">') == 1, url
        fragment = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        assert '<header class="bar">' not in fragment, url
