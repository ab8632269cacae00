"""A model-room repair on two phones: the model room reports a broken fitting in its room with a photo, the lead
assigns it to a contractor, records it fixed and checks it; the model room then sees it checked in its list.
Every step is a tap from the login screen; the words are looked up as the page shows them (msg)."""
import pytest
from flask_babel import force_locale
from PIL import Image
from playwright.sync_api import expect

from hospitality.i18n import ptext
from tests import factories
from tests.browser.walk import assert_fits_phone, assert_thumb_sized, follow, landed, login, menu, pick, tap_link
from tests.harness import msg

pytestmark = pytest.mark.browser


def test_a_model_room_repair_assigned_fixed_and_checked(app, live_server, phone, tmp_path):
    """Reported by the model room (two taps from its today screen), assigned by the lead to a contractor, fixed,
    checked: each step on the timeline, and the model room's list shows it checked."""
    base = live_server.url
    with app.app_context():
        site = factories.make_site()
        keeper_name = factories.make_user(site.id, "model_room").username
        lead_name = factories.make_user(site.id, "lead").username
    room, lead = phone(), phone()
    login(room, base, keeper_name)
    login(lead, base, lead_name)

    # The model room: "Report a repair" on its today screen, then the form.
    report = msg(app, "Report a repair")
    tap_link(room, report, report)
    assert_fits_phone(room)
    assert_thumb_sized(room)
    pick(room, msg(app, "Broken fitting"))
    pick(room, "样板间1")
    room.locator("input[name=spot]").fill("主卫洗手台")
    room.locator("textarea[name=description]").fill("水龙头关不紧，一直滴水")
    photo = tmp_path / "tap.jpg"
    Image.new("RGB", (64, 48), (120, 80, 40)).save(photo, "JPEG")
    room.locator("input[type=file][name=photos]").set_input_files(str(photo))
    room.get_by_role("button", name=msg(app, "Report"), exact=True).tap()
    title = f"{msg(app, 'Broken fitting')} · 样板间1"
    landed(room, title)
    expect(room.locator(".rp-state-reported")).to_be_visible()
    expect(room.locator(".rp-timeline img.thumb")).to_have_count(1)
    assert_fits_phone(room)

    # The lead: the repairs list through the menu, the repair's page, assigned to a contractor.
    menu(lead, msg(app, "Repairs"), msg(app, "Repairs"))
    assert_fits_phone(lead)
    follow(lead, lead.locator("main a.rp-card", has_text="样板间1").first, title)
    pick(lead, msg(app, "A contractor"))
    lead.locator("input[name=company]").fill("鑫达维修")
    lead.locator("input[name=contact]").fill("李师傅")
    lead.locator("input[name=phone]").fill("13800138000")
    lead.locator("button.assign-btn").tap()
    expect(lead.locator(".rp-assignee")).to_contain_text("鑫达维修")
    expect(lead.locator(".rp-state-assigned")).to_be_visible()
    assert_fits_phone(lead)

    # Fixed, with what was done; then checked: closed.
    lead.locator("textarea[name=fix_note]").fill("已更换阀芯")
    lead.locator("button.fixed-btn").tap()
    expect(lead.locator(".rp-state-fixed")).to_be_visible()
    lead.locator("button.check-btn").tap()
    expect(lead.locator(".rp-state-checked")).to_be_visible()
    timeline = lead.locator(".rp-timeline")
    for step in ("Assigned", "Fixed", "Checked"):
        expect(timeline).to_contain_text(_step(app, step))
    expect(timeline).to_contain_text("已更换阀芯")

    # The model room's list: the repair, checked.
    menu(room, msg(app, "Repairs"), msg(app, "Repairs"))
    card = room.locator("main a.rp-card", has_text="样板间1")
    expect(card.locator(".rp-state-checked")).to_be_visible()
    assert_fits_phone(room)


def _step(app, word: str) -> str:
    """A step of the timeline (message context "repair") as the page shows it."""
    with app.test_request_context(), force_locale("zh_Hans"):
        return ptext("repair", word)
