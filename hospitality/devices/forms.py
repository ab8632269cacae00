from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..i18n import lazy_gettext as _l

_MINUTES = NumberRange(min=1, max=60, message=_l("Enter 1 to 60 minutes."))
_DIGITS = {"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]*", "maxlength": 6}


class DeviceForm(FlaskForm):
    name = StringField(_l("Name of this device"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"placeholder": _l("e.g. Water bar tablet")})
    idle_minutes = IntegerField(_l("Lock after this many idle minutes"), default=5,
                                validators=[InputRequired(message=_l("Enter 1 to 60 minutes.")), _MINUTES])


class PinForm(FlaskForm):
    pin = PasswordField(_l("New PIN (4 to 6 digits)"), validators=[DataRequired()], render_kw=_DIGITS)
    again = PasswordField(_l("The same PIN again"), validators=[DataRequired()], render_kw=_DIGITS)


class SwitchForm(FlaskForm):
    badge_no = StringField(_l("Badge number"), validators=[DataRequired(), Length(max=20)],
                           render_kw={"autocomplete": "off", "autocapitalize": "none"})
    pin = PasswordField(_l("PIN"), validators=[DataRequired(), Length(max=6)], render_kw=_DIGITS)
