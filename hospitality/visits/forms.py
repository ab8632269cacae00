from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField

from ..i18n import lazy_gettext as _l


class ArrivalForm(FlaskForm):
    """Party size, car or foot, plate: checked by services.record_arrival, so messages stay ours."""
    party_size = StringField(_l("Party size"), default="2")
    by_car = RadioField(_l("Came"), choices=[("1", _l("By car")), ("0", _l("On foot"))], default="1")
    plate = StringField(_l("Plate"))
    idem = HiddenField()
