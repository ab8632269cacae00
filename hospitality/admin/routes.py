from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..access import current_site, post_required, site_get_or_404
from ..extensions import db
from ..forms import apply_form
from ..i18n import text as _
from ..models import AuditLog, Location, SalesRep, User, utcnow
from . import bp, services
from .forms import LocationForm, NewSiteForm, RepForm, SiteForm, StaffForm

manager_only = post_required("manager")


def _apply(form, action):
    return apply_form(form, action, (services.AdminError,), "name")


@bp.route("/", methods=["GET", "POST"])
@manager_only
def site():
    site = current_site()
    form = SiteForm(obj=site)
    ok, status = _apply(form, lambda: services.update_site(site, form.name.data, form.timezone.data,
                                                           form.auto_approve_below.data, form.refill_minutes.data))
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".site"))
    locations = db.session.scalars(select(Location).where(Location.site_id == site.id)
                                   .order_by(Location.position)).all()
    return render_template("admin/site.html", form=form, locations=locations,
                           location_form=LocationForm(formdata=None)), status


@bp.route("/sites/new", methods=["GET", "POST"])
@manager_only
def new_site():
    form = NewSiteForm()
    made = {}
    ok, status = _apply(form, lambda: made.setdefault("site", services.create_site(
        current_user, form.name.data, form.code.data, form.timezone.data, form.model_rooms.data)))
    if ok:
        from ..auth.services import switch_site
        switch_site(current_user, made["site"].id)
        flash(_("Sales center created. You are now working on it."))
        return redirect(url_for(".site"))
    return render_template("admin/new_site.html", form=form), status


@bp.route("/locations/new", methods=["GET", "POST"])
@bp.route("/locations/<int:location_id>", methods=["GET", "POST"])
@manager_only
def location(location_id=None):
    loc = site_get_or_404(Location, location_id) if location_id else None
    form = LocationForm(obj=loc)
    ok, status = _apply(form, lambda: services.save_location(
        current_site(), loc, form.kind.data, form.name.data, form.active.data))
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".site"))
    return render_template("admin/location.html", form=form, location=loc), status


@bp.get("/staff")
@manager_only
def staff():
    people = db.session.scalars(select(User).where(User.site_id == current_site().id)
                                .order_by(User.active.desc(), User.post, User.name)).all()
    now = utcnow()
    return render_template("admin/staff.html", people=people, now=now,
                           locked=[p for p in people if p.locked_until and p.locked_until > now])


@bp.route("/staff/new", methods=["GET", "POST"])
@bp.route("/staff/<int:user_id>", methods=["GET", "POST"])
@manager_only
def person(user_id=None):
    user = site_get_or_404(User, user_id) if user_id else None
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
                                         password=form.password.data)
        return services.update_staff(site, user, name=form.name.data, badge_no=form.badge_no.data,
                                     phone=form.phone.data or "", post=form.post.data,
                                     active=form.active.data, password=form.password.data or None,
                                     actor=current_user)
    ok, status = _apply(form, save)
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".staff"))
    return render_template("admin/person.html", form=form, person=user, now=utcnow(),
                           attempts=services.failed_logins(site, user) if user else []), status


@bp.post("/staff/<int:user_id>/unlock")
@manager_only
def unlock(user_id):
    user = site_get_or_404(User, user_id)
    services.unlock_staff(current_site(), user, current_user)
    flash(_("%(name)s can log in again.", name=user.name))
    back = url_for(".person", user_id=user.id) if request.form.get("back") == "person" else url_for(".staff")
    return redirect(back)


@bp.route("/reps", methods=["GET", "POST"])
@bp.route("/reps/<int:rep_id>", methods=["GET", "POST"])
@manager_only
def reps(rep_id=None):
    rep = site_get_or_404(SalesRep, rep_id) if rep_id else None
    form = RepForm(obj=rep)
    # The add form has no switch (a new rep is in use): an absent checkbox would read as "not in use".
    ok, status = _apply(form, lambda: services.save_rep(current_site(), rep, form.name.data, form.phone.data or "",
                                                        form.active.data if rep else True))
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".reps"))
    all_reps = db.session.scalars(select(SalesRep).where(SalesRep.site_id == current_site().id)
                                  .order_by(SalesRep.active.desc(), SalesRep.name)).all()
    return render_template("admin/reps.html", form=form, rep=rep, reps=all_reps), status


@bp.get("/audit")
@manager_only
def audit():
    size = current_app.config["AUDIT_PAGE_SIZE"]
    before = request.args.get("before", type=int)
    q = select(AuditLog).where(AuditLog.site_id == current_site().id)
    if before:
        q = q.where(AuditLog.id < before)
    rows = db.session.scalars(q.order_by(AuditLog.id.desc()).limit(size + 1)
                              .options(db.joinedload(AuditLog.user))).all()
    more = len(rows) > size
    rows = rows[:size]
    from ..htmx import render_page_or_fragment
    return render_page_or_fragment("admin/audit.html", "admin/_fragments/audit_rows.html",
                                   rows=rows, more=more,
                                   next_before=rows[-1].id if rows else None)
