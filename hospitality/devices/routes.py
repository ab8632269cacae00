"""The manager's shared devices (register this device, rename, idle lock, retire), one's own PIN, a PIN's reset,
and the idle lock a registered device posts."""
from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, logout_user

from ..access import current_site, site_get_or_404
from ..forms import apply_form, idem
from ..i18n import text as _
from ..models import User
from ..models.devices import Device
from ..permissions import post_can, requires
from . import bp, reads, services
from .forms import DeviceForm, PinForm

COOKIE_DAYS = 400  # the longest a browser keeps a cookie (Chrome caps expiry at 400 days); renewed by each switch


def set_device_cookie(response, token: str):
    cfg = current_app.config
    response.set_cookie(reads.COOKIE, token, max_age=COOKIE_DAYS * 24 * 3600, httponly=True, samesite="Lax",
                        secure=bool(cfg.get("FORCE_HTTPS") or cfg["SESSION_COOKIE_SECURE"]))
    return response


def _apply(form, action):
    return apply_form(form, action, (services.DeviceError,), "name")


@bp.route("/", methods=["GET", "POST"])
@requires("device.manage")
def index():
    """The site's devices, and registering the browser in hand as one."""
    site = current_site()
    form = DeviceForm()
    made = {}
    ok, status = _apply(form, lambda: made.update(zip(("device", "token"), services.register(
        site, current_user, form.name.data, form.idle_minutes.data, idem_key=idem()), strict=True)))
    if ok:
        flash(_("This device is registered as %(name)s. Staff switch user on it with badge number and PIN.",
                name=made["device"].name))
        return set_device_cookie(redirect(url_for(".index")), made["token"])
    return render_template("devices/index.html", form=form, devices=reads.site_devices(site.id),
                           this=reads.current_device()), status


@bp.route("/<int:device_id>", methods=["GET", "POST"])
@requires("device.manage")
def edit(device_id):
    device = site_get_or_404(Device, device_id)
    form = DeviceForm(obj=device)
    ok, status = _apply(form, lambda: services.update(current_site(), device, form.name.data,
                                                      form.idle_minutes.data))
    if ok:
        flash(_("Saved."))
        return redirect(url_for(".index"))
    return render_template("devices/edit.html", form=form, device=device), status


@bp.post("/<int:device_id>/retire")
@requires("device.manage")
def retire(device_id):
    device = site_get_or_404(Device, device_id)
    services.retire(current_site(), device)
    flash(_("%(name)s is retired: it no longer switches users.", name=device.name))
    return redirect(url_for(".index"))


@bp.post("/pins/<int:user_id>/reset")
@requires("device.manage")
def reset_pin(user_id):
    """The manager clears a person's PIN and its lock (the staff page's button)."""
    user = site_get_or_404(User, user_id)
    if not post_can(user.post, "admin.staff"):
        abort(404)
    services.reset_pin(current_site(), user)
    flash(_("%(name)s's PIN is cleared: they set a new one under My PIN.", name=user.name))
    return redirect(url_for("admin.person", user_id=user.id))


@bp.route("/pin", methods=["GET", "POST"])
@requires("device.pin")
def pin():
    """One's own PIN, set while logged in with one's password."""
    form = PinForm()
    ok, status = apply_form(form, lambda: services.set_pin(current_user, form.pin.data, form.again.data),
                            (services.PinError,), "pin")
    if ok:
        flash(_("Your PIN is set. On a shared device, tap Switch user and enter your badge number and PIN."))
        return redirect(url_for(".pin"))
    return render_template("devices/pin.html", form=form, has_pin=current_user.pin_hash is not None,
                           locked=services.pin_locked(current_user), lock_after=services.PIN_LOCK_AFTER,
                           lock_minutes=services.PIN_LOCK_MINUTES), status


@bp.post("/lock")
@requires("device.lock")
def lock():
    """The device was idle for its minutes (device.js): end the session; the script then shows the switch screen."""
    services.lock(reads.current_device(), current_user)
    logout_user()
    return redirect(url_for("auth.login"))
