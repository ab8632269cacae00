from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ..i18n import lazy_gettext as _l
from ..i18n import lazy_pgettext
from ..models.core import LOCATION_KINDS, POSTS
from ..permissions import post_can

TIMEZONES = [("Asia/Shanghai", _l("China (Beijing time)")), ("Asia/Hong_Kong", _l("Hong Kong")),
             ("Asia/Taipei", _l("Taipei")), ("Asia/Urumqi", _l("Urumqi")), ("UTC", "UTC")]
PHONE = Regexp(r"^[0-9+\- ]*$", message=_l("Digits, spaces, + and - only."))


class SiteForm(FlaskForm):
    name = StringField(_l("Name of the sales center"), validators=[DataRequired(), Length(max=80)])
    timezone = SelectField(_l("Time zone"), choices=TIMEZONES)
    auto_approve_below = DecimalField(_l("Purchase requests below this amount (¥) approve themselves"),
                                      places=2, validators=[Optional(), NumberRange(min=0, max=100000)])
    refill_minutes = IntegerField(_l("Water bar refill round while guests sit (minutes)"), default=10,
                                  validators=[Optional(),
                                              NumberRange(min=3, max=60, message=_l("Enter 3 to 60 minutes."))])


class NewSiteForm(SiteForm):
    code = StringField(_l("Short code"), validators=[
        DataRequired(), Length(max=20),
        Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and - only."))])
    model_rooms = IntegerField(_l("Number of model rooms"), default=2,
                               validators=[DataRequired(), NumberRange(min=0, max=20)])


class LocationForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=list(LOCATION_KINDS.items()))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    active = BooleanField(_l("In use"), default=True)


class StaffForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(min=3, max=40),
        Regexp(r"^[a-z0-9_.-]+$", message=_l("Lower-case letters, digits, _ . - only."))],
        render_kw={"autocapitalize": "none"})
    name = StringField(lazy_pgettext("person", "Name"), validators=[DataRequired(), Length(max=40)])
    badge_no = StringField(_l("Badge number"), validators=[
        DataRequired(), Length(max=20),
        Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and - only."))])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20), PHONE],
                        render_kw={"inputmode": "tel"})
    post = SelectField(_l("Post"), choices=[(k, v) for k, v in POSTS.items() if post_can(k, "admin.staff")])
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=128)],
                             render_kw={"autocomplete": "new-password"})


class RepForm(FlaskForm):
    """A rep's name and phone; the "in use" switch shows on the edit form only (a new rep is in use)."""
    name = StringField(lazy_pgettext("person", "Name"), validators=[DataRequired(), Length(max=40)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=20), PHONE],
                        render_kw={"inputmode": "tel"})
    active = BooleanField(_l("Active"), default=True)
