"""The manager's set-up: the site and its locations, staff and their logins, sales reps, the audit trail."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import current_site, site_get_or_404
from ..auth.services import switch_site
from ..clock import utcnow
from ..forms import apply_form, idem
from ..htmx import render_page_or_fragment
from ..i18n import text as _
from ..models import Location, SalesRep, User
from ..models.core import LOCATION_KINDS
from ..permissions import post_can, requires
from . import bp, reads, services
from .forms import LocationForm, NewSiteForm, RepForm, SiteForm, StaffForm


def _apply(form, action):
    return apply_form(form, action, (services.AdminError,), "name")


@bp.route("/", methods=["GET", "POST"])
@requires("admin.manage")
def site():
    site = current_site()
    form = SiteForm(obj=site)
    ok, status = _apply(form, lambda: services.update_site(site, form.name.data, form.timezone.data,
                                                           form.auto_approve_below.data, form.refill_minutes.data))
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".site"))
    return render_template("admin/site.html", form=form, locations=reads.locations(site.id), kinds=LOCATION_KINDS,
                           location_form=LocationForm(formdata=None)), status


@bp.route("/sites/new", methods=["GET", "POST"])
@requires("admin.manage")
def new_site():
    form = NewSiteForm()
    made = {}
    ok, status = _apply(form, lambda: made.setdefault("site", services.create_site(
        current_user, form.name.data, form.code.data, form.timezone.data, form.model_rooms.data,
        idem_key=idem())))
    if ok:
        if current_user.current_site_id != made["site"].id:  # a replay finds the first answer's switch done
            switch_site(current_user, made["site"].id)
        flash(_("Sales center created. You are now working on it."))
        return redirect(url_for(".site"))
    return render_template("admin/new_site.html", form=form), status


@bp.route("/locations/new", methods=["GET", "POST"])
@bp.route("/locations/<int:location_id>", methods=["GET", "POST"])
@requires("admin.manage")
def location(location_id=None):
    loc = site_get_or_404(Location, location_id) if location_id else None
    form = LocationForm(obj=loc)
    ok, status = _apply(form, lambda: services.save_location(
        current_site(), loc, form.kind.data, form.name.data, form.active.data, idem_key=idem()))
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".site"))
    return render_template("admin/location.html", form=form, location=loc), status


def _staff_or_404(user_id: int) -> User:
    """A login of the current site's staff. A head-office login has a home site but is not its staff: the site's
    manager neither sees nor edits it (its password would open the whole company's figures)."""
    user = site_get_or_404(User, user_id)
    if not post_can(user.post, "admin.staff"):
        abort(404)
    return user


@bp.get("/staff")
@requires("admin.manage")
def staff():
    people = reads.staff(current_site().id)
    now = utcnow()
    return render_template("admin/staff.html", people=people, now=now,
                           locked=[p for p in people if p.locked_until and p.locked_until > now])


@bp.route("/staff/new", methods=["GET", "POST"])
@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@requires("admin.manage")
def person(user_id=None):
    user = _staff_or_404(user_id) if user_id else None
    form = StaffForm(obj=user)
    if user is not None:
        del form.username  # a login name never changes: the audit trail refers to it
    site = current_site()

    def save():
        if user is None:
            if not form.password.data:
                raise services.AdminError(_("Set a first password (at least 8 characters)."),
                                          "password")
            return services.create_staff(site, current_user, username=form.username.data,
                                         name=form.name.data, badge_no=form.badge_no.data,
                                         phone=form.phone.data or "", post=form.post.data,
                                         password=form.password.data, idem_key=idem())
        return services.update_staff(site, user, name=form.name.data, badge_no=form.badge_no.data,
                                     phone=form.phone.data or "", post=form.post.data,
                                     active=form.active.data, password=form.password.data or None,
                                     actor=current_user)
    ok, status = _apply(form, save)
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".staff"))
    return render_template("admin/person.html", form=form, person=user, now=utcnow(),
                           attempts=reads.failed_logins(site.id, user.id) if user else []), status


@bp.post("/staff/<int:user_id>/unlock")
@requires("admin.manage")
def unlock(user_id):
    user = _staff_or_404(user_id)
    services.unlock_staff(current_site(), user, current_user)
    flash(_("%(name)s can log in again.", name=user.name))
    back = url_for(".person", user_id=user.id) if request.form.get("back") == "person" else url_for(".staff")
    return redirect(back)


@bp.route("/reps", methods=["GET", "POST"])
@bp.route("/reps/<int:rep_id>", methods=["GET", "POST"])
@requires("admin.manage")
def reps(rep_id=None):
    rep = site_get_or_404(SalesRep, rep_id) if rep_id else None
    form = RepForm(obj=rep)
    # The add form has no switch (a new rep is in use): an absent checkbox would read as "not in use".
    ok, status = _apply(form, lambda: services.save_rep(current_site(), rep, form.name.data, form.phone.data or "",
                                                        form.active.data if rep else True, idem_key=idem()))
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".reps"))
    return render_template("admin/reps.html", form=form, rep=rep, reps=reads.reps(current_site().id)), status


@bp.get("/audit")
@requires("admin.manage")
def audit():
    rows, more = reads.audit_page(current_site().id, request.args.get("before", type=int),
                                  current_app.config["AUDIT_PAGE_SIZE"])
    return render_page_or_fragment("admin/audit.html", "admin/_fragments/audit_rows.html",
                                   rows=rows, more=more,
                                   next_before=rows[-1].id if rows else None)
