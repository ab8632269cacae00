from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TimeField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..i18n import lazy_gettext as _l
from ..models.checklists import ANSWER_TYPES, ASSIGNEES, KINDS, LAST, RECURRENCES, WEEKDAYS
from ..models.core import POSTS


class TemplateForm(FlaskForm):
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=80)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=80)])
    kind = SelectField(_l("Kind"), choices=list(KINDS.items()))
    post = SelectField(_l("Post"), choices=list(POSTS.items()))
    due_time = TimeField(_l("Due by"), validators=[Optional()])
    times = StringField(_l("Round times"), validators=[Optional(), Length(max=120)])
    location_id = SelectField(_l("Area"), choices=[], coerce=lambda v: "" if v in (None, "") else str(v),
                              validate_choice=False)
    grooming_posts = SelectMultipleField(_l("For the posts"), choices=list(POSTS.items()),
                                         widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    active = BooleanField(_l("In use"), default=True)
    # Recurrence and assignment: the service checks them (editor.parse_recurrence), so an impossible choice gets
    # its own message under its field rather than WTForms' "Not a valid choice".
    recurrence = SelectField(_l("Repeats"), choices=list(RECURRENCES.items()), default="daily",
                             validate_choice=False)
    weekdays = SelectMultipleField(_l("On these weekdays"), choices=[(str(i), d) for i, d in enumerate(WEEKDAYS)],
                                   widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                   validate_choice=False)
    weekday = SelectField(_l("Due on"), choices=[(str(i), d) for i, d in enumerate(WEEKDAYS)], default="4",
                          validate_choice=False)
    month_day = SelectField(_l("Day of the month"), choices=[(str(i), str(i)) for i in range(1, 32)]
                            + [(LAST, _l("Last day"))], default=LAST, validate_choice=False)
    first_half = SelectField(_l("Due day, 1st–15th"), choices=[(str(i), str(i)) for i in range(1, 16)],
                             default="15", validate_choice=False)
    second_half = SelectField(_l("Due day, 16th–end"), choices=[(str(i), str(i)) for i in range(16, 32)]
                              + [(LAST, _l("Last day"))], default=LAST, validate_choice=False)
    assignee = SelectField(_l("Done by"), choices=list(ASSIGNEES.items()), default="post", validate_choice=False)
    person_id = SelectField(_l("Person"), choices=[], coerce=lambda v: "" if v in (None, "") else str(v),
                            validate_choice=False)
    shift_id = SelectField(_l("Shift"), choices=[], coerce=lambda v: "" if v in (None, "") else str(v),
                           validate_choice=False)


class ItemForm(FlaskForm):
    text = StringField(_l("Item (Chinese)"), validators=[DataRequired(), Length(max=200)])
    text_en = StringField(_l("Item (English)"), validators=[Optional(), Length(max=200)])
    answer_type = SelectField(_l("Answer"), choices=list(ANSWER_TYPES.items()))
    required = BooleanField(_l("Required"), default=True)
    unit = StringField(_l("Unit"), validators=[Optional(), Length(max=20)])
    min_value = IntegerField(_l("Lowest"), validators=[Optional(), NumberRange(min=0, max=100000)])
    max_value = IntegerField(_l("Highest"), validators=[Optional(), NumberRange(min=0, max=100000)])
    active = BooleanField(_l("In use"), default=True)
