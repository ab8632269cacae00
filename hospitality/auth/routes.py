from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..config import Config
from ..extensions import limiter
from ..i18n import LANG_COOKIE
from ..i18n import text as _
from . import bp, services
from .forms import LoginForm


def _safe_next(target: str | None) -> str:
    # Browsers read "/\\evil" as "//evil" and drop tabs and newlines, so those are refused too.
    if (target and target.startswith("/") and not target.startswith("//") and target.isprintable()
            and "\\" not in target and not urlsplit(target).netloc):
        return target
    return url_for("today.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    from ..devices.reads import current_device
    from ..devices.switch import device_login  # here: the devices package imports auth's services
    device = current_device()
    if device is not None:  # a registered shared device: badge number and PIN first (issue 18)
        return device_login(device, _safe_next(request.args.get("next")))
    if current_user.is_authenticated:
        return redirect(url_for("today.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.log_in(form.username.data, form.password.data, request.remote_addr)
        except services.LoginError as e:
            form.password.errors.append(str(e))
            status = 422
        else:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    services.end_session(current_user)
    logout_user()
    flash(_("You have logged out."))
    return redirect(url_for("auth.login"))


@bp.post("/language/<lang>")
def language(lang):
    if lang not in Config.LANGUAGES:
        lang = "zh_Hans"
    services.set_locale(current_user if current_user.is_authenticated else None, lang)
    back = request.form.get("next") or request.referrer
    resp = redirect(_safe_next(urlsplit(back).path if back else None))
    resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                    secure=current_app.config["SESSION_COOKIE_SECURE"])
    return resp


@bp.post("/site")
@login_required
def switch_site():
    try:
        site_id = int(request.form.get("site_id", ""))
    except ValueError:
        site_id = -1
    if not services.switch_site(current_user, site_id):
        abort(404)
    return redirect(url_for("today.index"))
