from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..i18n import lazy_gettext as _l
from ..models.inventory import ITEM_KINDS, SERVE_AS


def _serve_key(value) -> str:
    return "" if value is None else str(value)


class ItemForm(FlaskForm):
    location_id = SelectField(_l("Location"), coerce=int)
    kind = SelectField(_l("Kind"), choices=list(ITEM_KINDS.items()))
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=60)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=60)])
    unit = StringField(_l("Unit"), default="个", validators=[DataRequired(), Length(max=12)])
    whole = BooleanField(_l("Counted in whole units"), default=True)
    pack_size = IntegerField(_l("Units per pack"), default=1, validators=[DataRequired(), NumberRange(1, 10000)])
    par_level = DecimalField(_l("Par level (a normal day's need)"), default=0, places=3,
                             validators=[Optional(), NumberRange(0, 100000)])
    unit_price = DecimalField(_l("Unit price (¥)"), default=0, places=2,
                              validators=[Optional(), NumberRange(0, 1000000)])
    # Served to guests: each guest's drink, for the table, or not at all (cups, tea leaves, fruit by the 斤).
    # The service checks the choice (an item without one, like a fixture, has None here).
    serve_as = SelectField(_l("On the serve form"), default="drink", coerce=_serve_key, validate_choice=False,
                           choices=[("", _l("Not served to guests")), *SERVE_AS.items()])
    discard_at_close = BooleanField(_l("Discard what is opened at closing"))
    expected_qty = DecimalField(_l("Expected quantity (fixtures)"), places=3,
                                validators=[Optional(), NumberRange(0, 100000)])
    initial_qty = DecimalField(_l("Stock now"), places=3, validators=[Optional(), NumberRange(0, 100000)])
    photo = FileField(_l("Photo of where it stands"), render_kw={"accept": "image/*", "capture": "environment"})
    active = BooleanField(_l("In use"), default=True)
