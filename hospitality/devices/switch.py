"""The login page of a registered device: badge number and PIN first, the password form below it. Whoever is
logged in on the device is logged out by a successful switch (auth.login hands the device's requests here)."""
from flask import redirect, render_template, request
from flask_login import current_user, login_user, logout_user

from ..auth import services as auth
from ..auth.forms import LoginForm
from ..models.devices import Device
from . import services
from .forms import SwitchForm
from .reads import COOKIE
from .routes import set_device_cookie


def device_login(device: Device, next_url: str):
    """GET: the switch screen; POST: badge + PIN, or username + password (the form below it)."""
    previous = current_user._get_current_object() if current_user.is_authenticated else None
    by_pin = "username" not in request.form  # the password form is the one with a username
    switch_form = SwitchForm(formdata=None if request.method == "GET" or not by_pin else request.form)
    login_form = LoginForm(formdata=None if by_pin else request.form)
    status = 200
    if request.method == "POST":
        status = 422
        form = switch_form if by_pin else login_form
        if form.validate():
            try:
                if by_pin:
                    user = services.switch(device, switch_form.badge_no.data, switch_form.pin.data, previous,
                                           request.remote_addr)
                else:
                    user = auth.log_in(login_form.username.data, login_form.password.data, request.remote_addr)
                    if previous is not None:
                        auth.end_session(previous)
            except (services.PinError, auth.LoginError) as e:
                target = switch_form.pin if by_pin else login_form.password
                target.errors = [*target.errors, e.message]
            else:
                logout_user()
                login_user(user)
                # Renew the device's cookie: a device in daily use never reaches its expiry.
                return set_device_cookie(redirect(next_url), request.cookies[COOKIE])
    return render_template("devices/switch.html", device=device, form=switch_form, login_form=login_form,
                           by_pin=by_pin, previous=previous), status
