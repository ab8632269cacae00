"""The manager edits checklist templates; items are retired, never deleted."""
import re
from datetime import time

from sqlalchemy import select

from .. import fields, idempotency
from ..audit import record
from ..database import next_position, write_tx
from ..extensions import db
from ..i18n import text as _
from ..models import ChecklistItem, ChecklistTemplate, Location, Site, User
from ..models.attendance import Shift
from ..models.checklists import ANSWER_TYPES, ASSIGNEES, KINDS, LAST, RECURRENCES, ROUTINE_KINDS
from ..models.core import POSTS
from .services import ChecklistError

KEEP = object()  # an argument left out keeps the template's current value
MAX_ROUNDS = 20  # fits the times column


def parse_times(text: str | None) -> str | None:
    """Round times as typed (10:00 12:00, 15:00) → 10:00,12:00,15:00 (sorted, once each); None when empty."""
    out = set()
    for token in re.split(r"[\s,，、;]+", (text or "").strip()):
        if not token:
            continue
        m = re.fullmatch(r"(\d{1,2})[:：.](\d{2})", token)
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise ChecklistError(_("Write the times like 10:00 15:00."), "times")
        out.add(time(int(m.group(1)), int(m.group(2))).strftime("%H:%M"))
    if len(out) > MAX_ROUNDS:
        raise ChecklistError(_("At most %(n)d rounds a day.", n=MAX_ROUNDS), "times")
    return ",".join(sorted(out)) or None


def _day_in(raw, low: int, high: int, last: bool) -> str | None:
    """A day of the month typed or picked ("15", or "last" where allowed) within low..high, else None."""
    raw = str(raw or "").strip().lower()
    if last and raw == LAST:
        return LAST
    day = fields.whole(raw, low, high)
    return None if day is None else str(day)


def parse_recurrence(recurrence: str, *, weekdays=(), weekday=None, month_day=None, first_half=None,
                     second_half=None) -> tuple[str, str | None]:
    """(recurrence, on_days) from the editor's fields, or a ChecklistError under the field when the recurrence
    would never occur or is not understood.

    A day a month lacks (29–31) falls on that month's last day: "monthly on the 31st" is the month's end, never
    a month skipped; there is no month to pick, so no "31st of February" can be asked for."""
    if recurrence not in RECURRENCES:
        raise ChecklistError(_("Choose how often it repeats."), "recurrence")
    if recurrence == "daily":
        return recurrence, None
    if recurrence == "weekdays":
        days = sorted({d for d in (fields.whole(raw, 0, 6) for raw in weekdays or ()) if d is not None})
        if not days or len(days) != len(set(weekdays)):
            raise ChecklistError(_("Tick at least one weekday: a routine on no day never happens."), "weekdays")
        return recurrence, ",".join(map(str, days))
    if recurrence == "weekly":
        day = _day_in(weekday, 0, 6, last=False)
        if day is None:
            raise ChecklistError(_("Choose the weekday it is due."), "weekday")
        return recurrence, day
    if recurrence == "monthly":
        day = _day_in(month_day, 1, 31, last=True)
        if day is None:
            raise ChecklistError(_("Choose a day from 1 to 31, or the last day of the month."), "month_day")
        return recurrence, day
    first = _day_in(first_half, 1, 15, last=False)
    if first is None:
        raise ChecklistError(_("The first half runs from the 1st to the 15th: choose a due day in it."),
                             "first_half")
    second = _day_in(second_half, 16, 31, last=True)
    if second is None:
        raise ChecklistError(_("The second half runs from the 16th to the month's end: choose a due day in it."),
                             "second_half")
    return recurrence, f"{first},{second}"


def _person(site: Site, assignee: str, person_id) -> int | None:
    if assignee not in ASSIGNEES:
        raise ChecklistError(_("Choose who does it."), "assignee")
    if assignee != "person":
        return None
    person = db.session.get(User, person_id) if isinstance(person_id, int) else None
    if person is None or person.site_id != site.id or not person.active:
        raise ChecklistError(_("Choose a person of this site."), "person_id")
    return person.id


def _shift(site: Site, kind: str, shift_id):
    """The shift an opening or closing routine belongs to (a shift of this site, or None: any shift). Other
    checklists have none, but a patrol keeps the one its set-up gave it (hospitality.patrol)."""
    if kind == "patrol":
        return KEEP
    if kind not in ROUTINE_KINDS or shift_id is None:
        return None
    shift = db.session.get(Shift, shift_id) if isinstance(shift_id, int) else None
    if shift is None or shift.site_id != site.id or not shift.active:
        raise ChecklistError(_("Choose a shift of this site."), "shift_id")
    return shift.id


def save_template(site: Site, template: ChecklistTemplate | None, *, name: str, name_en: str | None,
                  kind: str, post: str, due_time: time | None, active: bool, times=KEEP, location_id=KEEP,
                  for_posts=KEEP, recurrence=KEEP, assignee=KEEP, person_id=None, shift_id=KEEP,
                  idem_key: str | None = None) -> ChecklistTemplate:
    """Create or change a template. `times`: text of round times; `location_id`: an area of this site or
    None; `for_posts`: the posts a grooming list is for (empty: all); `recurrence`: a (recurrence, on_days)
    pair from parse_recurrence(); `assignee`: "post", "cleaners" or "person" (then `person_id`, of this site);
    `shift_id`: the shift an opening or closing routine is done on (None: any), for a post that works in shifts.
    The same new-checklist form sent twice creates one."""
    if kind not in KINDS:
        raise ChecklistError(_("Choose a kind."), "kind")
    if post not in POSTS:
        raise ChecklistError(_("Choose a post."), "post")
    if assignee is not KEEP:
        person_id = _person(site, assignee, person_id)
    if times is not KEEP:
        times = parse_times(times)
    if shift_id is not KEEP:
        shift_id = _shift(site, kind, shift_id)
    given = assignee if assignee is not KEEP else (template.assignee if template is not None else "post")
    rounds = times if times is not KEEP else (template.times if template is not None else None)
    if given == "cleaners" and rounds and kind not in ROUTINE_KINDS:
        # The rota ticks one round a period for the cleaners: several rounds a day are a post's or a person's.
        raise ChecklistError(_("The cleaners' rota has one round a period: give rounds at set times to a post or "
                               "a person, or leave the times empty."), "times")
    if location_id is not KEEP and location_id is not None:
        loc = db.session.get(Location, location_id)
        if loc is None or loc.site_id != site.id:
            raise ChecklistError(_("Choose an area of this site."), "location_id")
    if for_posts is not KEEP:
        if any(p not in POSTS for p in for_posts or []):
            raise ChecklistError(_("Choose a post."), "grooming_posts")
        for_posts = ",".join(p for p in POSTS if p in (for_posts or [])) if kind == "grooming" else ""
        for_posts = for_posts or None
    with write_tx():
        if template is None and (earlier := idempotency.claim(idem_key, "checklist_template", site.id)) is not None:
            return db.session.get(ChecklistTemplate, earlier)
        if template is None:
            template = ChecklistTemplate(site_id=site.id, position=next_position(
                ChecklistTemplate.position, ChecklistTemplate.site_id == site.id))
            db.session.add(template)
            action = "create"
        else:
            template = db.session.get(ChecklistTemplate, template.id)
            action = "update"
        template.name, template.name_en = name.strip(), (name_en or "").strip() or None
        template.kind, template.post, template.due_time, template.active = kind, post, due_time, active
        changed = {}
        for attr, value in (("times", times), ("location_id", location_id), ("for_posts", for_posts),
                            ("shift_id", shift_id)):
            if value is not KEEP:
                setattr(template, attr, value)
                changed[attr] = value
        if recurrence is not KEEP:
            template.recurrence, template.on_days = recurrence
            changed |= {"recurrence": recurrence[0], "on_days": recurrence[1]}
        if assignee is not KEEP:
            template.assignee, template.person_id = assignee, person_id
            changed |= {"assignee": assignee, "person_id": person_id}
        db.session.flush()
        idempotency.done(idem_key, "checklist_template", site.id, template.id)
        record(action, "checklist_template", template.id, site_id=site.id, name=template.name,
               kind=kind, post=post, due_time=due_time, active=active, **changed)
    return template


def save_item(site: Site, template: ChecklistTemplate, item: ChecklistItem | None, *, text: str,
              text_en: str | None, answer_type: str, required: bool, unit: str | None,
              min_value: int | None, max_value: int | None, active: bool = True,
              idem_key: str | None = None) -> ChecklistItem:
    """Add an item to a checklist (the same form sent twice adds one), or change one."""
    if answer_type not in ANSWER_TYPES:
        raise ChecklistError(_("Choose an answer type."), "answer_type")
    if min_value is not None and max_value is not None and min_value > max_value:
        raise ChecklistError(_("The lowest value is above the highest."), "min_value")
    with write_tx():
        if item is None and (earlier := idempotency.claim(idem_key, "checklist_item", site.id)) is not None:
            return db.session.get(ChecklistItem, earlier)
        if item is None:
            item = ChecklistItem(template_id=template.id, position=next_position(
                ChecklistItem.position, ChecklistItem.template_id == template.id))
            db.session.add(item)
            action = "create"
        else:
            item = db.session.get(ChecklistItem, item.id)
            action = "update"
        item.text, item.text_en = text.strip(), (text_en or "").strip() or None
        item.answer_type, item.required, item.active = answer_type, required, active
        item.unit = (unit or "").strip() or None
        item.min_value, item.max_value = min_value, max_value
        db.session.flush()
        idempotency.done(idem_key, "checklist_item", site.id, item.id)
        record(action, "checklist_item", item.id, site_id=site.id, template=template.id,
               text=item.text, answer_type=answer_type, required=required, active=active)
    return item


def move_item(site: Site, template: ChecklistTemplate, item: ChecklistItem, step: int,
              idem_key: str | None = None) -> None:
    """Swap an item with its neighbour above (-1) or below (+1); the same tap sent twice moves it one step."""
    with write_tx():
        if idempotency.claim(idem_key, "checklist_move", site.id) is not None:
            return
        items = db.session.scalars(select(ChecklistItem).where(
            ChecklistItem.template_id == template.id, ChecklistItem.active.is_(True))
            .order_by(ChecklistItem.position, ChecklistItem.id)).all()
        ids = [i.id for i in items]
        if item.id not in ids:
            raise ChecklistError(_("This item is no longer on the checklist. Reload the page."))
        idx = ids.index(item.id)
        other = idx + step
        if 0 <= other < len(items):
            items[idx], items[other] = items[other], items[idx]
        for pos, it in enumerate(items):
            it.position = pos
        record("move", "checklist_item", item.id, site_id=site.id, step=step)
