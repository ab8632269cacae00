"""Attendance pages: clock in/out, leave, the roster, the lead's board, monthly sheets, shift settings."""
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import fields
from ..access import current_site, site_get_or_404
from ..clock import utcnow
from ..forms import arg_date, idem
from ..htmx import render_page_or_fragment, wants_fragment
from ..i18n import text as _
from ..models import User
from ..models.attendance import LeaveRequest, RosterEntry
from ..permissions import can, post_can, requires
from . import bp, reads, services
from . import leave as leaves
from .export import sheet_xlsx
from .services import AttendanceError, ShiftClosed

staff = requires("attendance.own")  # the posts on the roster: clock in and out, ask for leave
oversee = requires("attendance.oversee")  # plan the roster, decide leave, see the board and everyone's sheets


def _today() -> date:
    return services.site_now(current_site()).date()


def _index_ctx(card: dict) -> dict:
    return {"att_clock": card, "shifts_ahead": reads.my_shifts(current_user, card["now"].date()),
            "requests": reads.my_requests(current_user, 5)}


@bp.get("/")
@staff
def index():
    """A person's own attendance: the clock card, their next shifts and their leave."""
    return render_template("attendance/index.html", **_index_ctx(reads.today_card(current_site(), current_user)))


def _clock(action, done: str):
    """Clock in or out for the logged-in person only: the card for htmx, a redirect for a plain form. A tap sent from
    the phone's outbox carries the time it was made (made_at); a clock-out whose shift was closed meanwhile: 409."""
    site = current_site()
    try:
        action(site, current_user, idem(), made_at=fields.made_at(request.form.get("made_at"), utcnow()))
    except ShiftClosed as e:
        return render_template("errors/_toast.html", code=409, message=e.message), 409
    except AttendanceError as e:
        card = reads.today_card(site, current_user)
        card["error"] = e.message
        if wants_fragment():
            return render_template("attendance/_clock.html", att_clock=card), 422
        return render_template("attendance/index.html", **_index_ctx(card)), 422
    if wants_fragment():
        return render_template("attendance/_clock.html", att_clock=reads.today_card(site, current_user))
    flash(done)
    return redirect(url_for(".index"))


@bp.post("/clock-in")
@staff
def clock_in():
    return _clock(services.clock_in, _("Clocked in."))


@bp.post("/clock-out")
@staff
def clock_out():
    return _clock(services.clock_out, _("Clocked out."))


@bp.get("/board")
@oversee
def board():
    """The lead's view of a day: on duty, late, absent, on leave, not started yet."""
    site = current_site()
    day = arg_date("date", _today())
    return render_page_or_fragment("attendance/board.html", "attendance/_board.html",
                                   att_board=reads.board_summary(site, day))


def _roster_page(day: date, errors=None, status: int = 200):
    return render_page_or_fragment("attendance/roster.html", "attendance/_roster.html", status,
                                   r=reads.roster_week(current_site(), day), errors=errors or {},
                                   form=request.form, today=_today())


@bp.get("/roster")
@oversee
def roster():
    return _roster_page(arg_date("day", _today()))


def _form_day() -> date:
    try:
        return date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        return _today()


def _roster_write(day: date, action, done: str):
    """Run one roster change: refused, the roster with the message (422); done, the roster again for htmx, or a
    flash and the day's roster for a plain or boosted post."""
    try:
        action()
    except AttendanceError as e:
        return _roster_page(day, {e.field or "form": e.message}, 422)
    if wants_fragment():
        return _roster_page(day)
    flash(done)
    return redirect(url_for(".roster", day=day.isoformat()))


@bp.post("/roster")
@oversee
def roster_add():
    return _roster_write(_form_day(), lambda: services.add_entry(
        current_site(), current_user, request.form.get("user_id"), request.form.get("day"),
        request.form.get("shift_id"), request.form.get("post") or None, idem_key=idem()), _("Added to the roster."))


@bp.post("/roster/<int:entry_id>/delete")
@oversee
def roster_remove(entry_id):
    entry = site_get_or_404(RosterEntry, entry_id)
    return _roster_write(entry.day, lambda: services.remove_entry(current_site(), current_user, entry),
                         _("Removed from the roster."))


@bp.post("/roster/<int:entry_id>/move")
@oversee
def roster_move(entry_id):
    """Move a person's entry to another shift of the same day in one tap."""
    entry = site_get_or_404(RosterEntry, entry_id)
    return _roster_write(entry.day, lambda: services.move_entry(current_site(), current_user, entry,
                                                                request.form.get("to_shift_id")),
                         _("Moved to the chosen shift."))


@bp.post("/roster/copy")
@oversee
def roster_copy():
    day = _form_day()
    copied, skipped = services.copy_last_week(current_site(), current_user, day)
    flash(_("Copied %(n)s entries from last week; skipped %(m)s (already rostered, on leave or no longer here).",
            n=copied, m=skipped))
    return redirect(url_for(".roster", day=day.isoformat()))


@bp.route("/leave", methods=["GET", "POST"])
@staff
def leave():
    """A person's leave requests and the form to ask for days off."""
    errors, status = {}, 200
    if request.method == "POST":
        f = request.form
        try:
            leaves.request_leave(current_site(), current_user, f.get("starts"), f.get("ends"), f.get("reason"),
                                   idem())
        except AttendanceError as e:
            errors, status = {e.field or "starts": e.message}, 422
        else:
            flash(_("Leave requested. Your lead will decide."))
            return redirect(url_for(".leave"))
    return render_template("attendance/leave.html", requests=reads.my_requests(current_user), errors=errors,
                           form=request.form, today=_today()), status


@bp.post("/leave/<int:leave_id>/cancel")
@staff
def leave_cancel(leave_id):
    lv = site_get_or_404(LeaveRequest, leave_id)
    if lv.user_id != current_user.id:
        abort(404)  # someone else's request does not exist for this person
    try:
        leaves.cancel_leave(current_site(), current_user, lv)
    except AttendanceError as e:
        flash(e.message, "error")
    else:
        flash(_("Request cancelled."))
    return redirect(url_for(".leave"))


@bp.get("/leave/queue")
@oversee
def queue(errors=None, status=200):
    return render_template("attendance/queue.html", q=reads.leave_queue(current_site()),
                           errors=errors or {}, form=request.form), status


@bp.post("/leave/<int:leave_id>/decide")
@oversee
def decide(leave_id):
    lv = site_get_or_404(LeaveRequest, leave_id)
    f = request.form
    try:
        lv = leaves.decide_leave(current_site(), current_user, lv, f.get("action", ""), f.get("note"),
                                   override=f.get("override") == "1")
    except AttendanceError as e:
        return queue(errors={leave_id: {e.field or "action": e.message}}, status=422)
    flash(_("Leave approved.") if lv.status == "approved" else _("Leave refused."))
    return redirect(url_for(".queue"))


def _month() -> date:
    raw = request.args.get("month", "")
    try:
        year, month = raw.split("-")[:2]
        return date(int(year), int(month), 1)
    except ValueError:
        return _today().replace(day=1)


@bp.get("/sheet")
@requires("attendance.sheet")
def sheet():
    """The monthly attendance sheet: staff see their own; the lead and manager anyone's at the site."""
    site = current_site()
    month = _month()
    user_id = request.args.get("user_id", type=int)
    overseer = can(current_user, "attendance.oversee")
    if overseer:
        if user_id is None:
            return render_template("attendance/sheets.html", month=month, totals=reads.month_overview(site, month))
        person = site_get_or_404(User, user_id)
        if not post_can(person.post, "attendance.own"):
            abort(404)  # only the posts on the roster have a sheet
    else:
        if user_id is not None and user_id != current_user.id:
            abort(403)
        person = current_user
    sheet = reads.month_sheets(site, [person], month)[0]
    if request.args.get("format") == "xlsx":
        return sheet_xlsx(sheet, month)
    return render_template("attendance/sheet.html", sheet=sheet, month=month, today=_today(),
                           people=reads.sheet_people(site.id) if overseer else [])


@bp.route("/settings", methods=["GET", "POST"])
@oversee
def settings():
    """Shift times and the site's grace minutes."""
    site = current_site()
    errors, status = {}, 200
    if request.method == "POST":
        f = request.form
        try:
            if f.get("defaults"):
                services.create_default_shifts(site, current_user)
            else:
                # Only the shifts the form showed: one added meanwhile by someone else stays as it is.
                changes = {s.id: {"name": f.get(f"name-{s.id}"), "starts": f.get(f"starts-{s.id}"),
                                  "ends": f.get(f"ends-{s.id}"), "active": f.get(f"active-{s.id}") == "1"}
                           for s in reads.site_shifts(site.id) if f"name-{s.id}" in f}
                new = {k: f.get(f"{k}-new") for k in ("name", "starts", "ends")}
                services.save_settings(site, current_user, f.get("grace_minutes"), changes, new, idem())
        except AttendanceError as e:
            errors, status = {e.field or "form": e.message}, 422
        else:
            flash(_("Saved."))
            return redirect(url_for(".settings"))
    return render_template("attendance/settings.html", shifts=reads.site_shifts(site.id), errors=errors,
                           form=request.form, site=site), status
