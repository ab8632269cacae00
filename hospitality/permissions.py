"""Who may do what, in one place: the post sets named once, and one question, `can(user, action)`.

Routes declare their action with `@requires("…")`, services ask `can()` before they act, and templates ask
the same question through the `can` Jinja global, so a link or a button is shown exactly when its route or
service admits the user (tests/test_permissions.py checks every menu link for every post).
"""
from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required

from .models.core import HQ_POST, SITE_POSTS, STAFF_POSTS

WATER_BAR, MODEL_ROOM, CONCIERGE, SECURITY, LEAD, MANAGER = \
    "water_bar", "model_room", "concierge", "security", "lead", "manager"

EVERYONE = frozenset(SITE_POSTS)  # every post of a site (head office works none of a site's pages)
HQ = frozenset({HQ_POST})
FLOOR = frozenset(STAFF_POSTS)  # the posts that work a shift on the floor (in the models' order there)
OVERSEERS = frozenset({LEAD, MANAGER})  # check grooming, see every post's records, decide leave
ROSTERED = FLOOR | {LEAD}  # people on the roster who clock in and out (the manager is not rostered)
HANDOVER = frozenset({WATER_BAR, MODEL_ROOM, SECURITY})  # posts that hand their goods over at a shift change
STOCK = frozenset({WATER_BAR, MODEL_ROOM, SECURITY, LEAD, MANAGER})  # see stock (security witnesses counts)
STOCK_KEEPERS = frozenset({WATER_BAR, MODEL_ROOM, LEAD, MANAGER})  # count and move stock
BAR = frozenset({WATER_BAR, LEAD, MANAGER})  # the water bar's consumption, purchases and preparing
BUYERS = frozenset({WATER_BAR, MANAGER})  # ask to buy and receive what was bought
FIXTURES = frozenset({MODEL_ROOM, LEAD, MANAGER})  # model-room fixtures: released by the manager
DOORS = frozenset({MODEL_ROOM, SECURITY})  # let construction workers in and out
WORKER_WATCH = DOORS | OVERSEERS  # see the construction-worker register
ROOM_COUNTERS = frozenset({MODEL_ROOM, LEAD, MANAGER})  # count a model room before and after a crew
ARRIVALS = frozenset({SECURITY, CONCIERGE})  # register a group at the gate or the door
MANAGER_ONLY = frozenset({MANAGER})

RULES: dict[str, frozenset[str]] = {
    # today
    "today.view": EVERYONE | HQ,  # head office's "today" is the comparison of its company's sites
    "today.board": OVERSEERS,
    "today.discrepancies": OVERSEERS | {SECURITY},  # open discrepancies on the screen: security confirms them
    # visits
    "visits.view": EVERYONE,
    "visits.register": ARRIVALS,
    # Told of arrivals: each floor post's screen marks a group unseen until someone of the post taps "Seen"
    # (security too, for a walk-in the concierge recorded at the door).
    "visits.acknowledge": FLOOR,
    "visits.alerts": OVERSEERS,  # the live element carries the counts after a group that differed
    "visits.greet": frozenset({CONCIERGE}),
    "visits.serve": frozenset({WATER_BAR}),
    "visits.umbrellas": frozenset({CONCIERGE}),
    "visits.rooms": frozenset({MODEL_ROOM}),
    "visits.depart": ARRIVALS,
    "visits.car_left": frozenset({SECURITY}),
    "visits.correct": OVERSEERS,
    "visits.report": OVERSEERS,  # reps' figures and the Excel export
    # inventory
    "stock.view": STOCK,
    "stock.keep": STOCK_KEEPERS,
    "stock.count": STOCK_KEEPERS | {SECURITY},  # security witnesses and signs a count
    "stock.confirm": frozenset({SECURITY}),
    "stock.close": MANAGER_ONLY,
    "stock.items": MANAGER_ONLY,
    "stock.ledger": OVERSEERS,
    "stock.reverse": MANAGER_ONLY,
    "stock.consumption": BAR,
    "stock.close_bar": frozenset({WATER_BAR}),
    "stock.prepare": BAR,
    "stock.recipes": MANAGER_ONLY,
    "stock.everywhere": OVERSEERS,  # count and move stock at every location (a post: at its own kind of place)
    "stock.witness": frozenset({SECURITY}),  # open any location's count, to witness it
    "stock.adjust": MANAGER_ONLY,  # record lost or found stock outside a count
    "stock.cancel_any": MANAGER_ONLY,  # cancel a count someone else started
    "stock.any_days": OVERSEERS,  # daily consumption over any days (the water bar: today's)
    # purchasing
    "purchases.view": BAR,
    "purchases.ask": BUYERS,
    "purchases.decide": MANAGER_ONLY,
    "purchases.receive": BUYERS,
    "purchases.sign": MANAGER_ONLY,
    "fixtures.view": FIXTURES,
    "fixtures.ask": frozenset({MODEL_ROOM}),
    "fixtures.decide": MANAGER_ONLY,
    # handover
    "handover.view": HANDOVER | OVERSEERS,
    "handover.hand": HANDOVER,
    "handover.oversee": OVERSEERS,
    # attendance
    "attendance.own": ROSTERED,
    "attendance.sheet": EVERYONE,
    "attendance.oversee": OVERSEERS,
    # checklists and inspections
    "routines.fill": EVERYONE,
    "routines.oversee": OVERSEERS,  # read any post's routine and its runs
    "checklists.edit": MANAGER_ONLY,
    "inspections.check": OVERSEERS,
    "inspections.areas": EVERYONE,
    "inspections.photo": EVERYONE,  # a check's photo: the service says whose
    "inspections.record": EVERYONE,  # one's own grooming record (an overseer: anyone's)
    "tasks.view": EVERYONE,  # the tasks for one's post or oneself, and those one raised
    "tasks.all": OVERSEERS,  # every open task with its age, overdue ones first; any range of done ones
    "tasks.raise": EVERYONE,  # ask another post, a person or the cleaners for something in two taps
    "tasks.dispatch": OVERSEERS,  # hand a task to another post or person, cancel it
    # Mark a cleaner's task done on their behalf (cleaners have no login): the lead, the manager, or the post
    # that raised it (the service checks the raiser).
    "tasks.for_cleaner": EVERYONE,
    "tasks.settings": MANAGER_ONLY,  # the site's targets: minutes to clear a table, to do any other task
    # repairs
    "repairs.report": EVERYONE,  # any post reports a broken fitting, equipment, lift or fit-out defect
    "repairs.view": EVERYONE,  # a repair's page, the open ones of one's own places
    "repairs.assign": OVERSEERS,  # internal, the property company or a named contractor
    "repairs.fix": OVERSEERS,  # record it fixed (the contractor has no login)
    "repairs.check": OVERSEERS,  # check the fix: checked, or back to assigned
    "repairs.list": OVERSEERS,  # every open repair with its age, by place and kind; any range; Excel
    # routines beyond every day (the cleaning rota, rounds given to a post, linen)
    "routines.cleaning": OVERSEERS,  # the cleaners' rota: tick what they did (cleaners have no login)
    "linen.view": FIXTURES,  # what is away at the laundry
    "linen.move": FIXTURES,  # count linen out to the laundry and back in
    "linen.handover": frozenset({MODEL_ROOM}),  # its shift handover lists the linen still at the laundry
    # construction workers
    "workers.view": WORKER_WATCH,
    "workers.doors": DOORS,
    "workers.count": ROOM_COUNTERS,
    "workers.history": OVERSEERS,  # the register of another day than today
    "workers.supervise": WORKER_WATCH,  # may be named a crew's supervisor
    "workers.escort": frozenset({MODEL_ROOM}),  # stays with a crew in its room: proposed as its supervisor
    # incidents
    "incidents.report": EVERYONE,  # any post reports what it sees, and may add to what it reported
    "incidents.view": EVERYONE,  # an incident's page (the site's: everyone may be asked about it)
    # Alerted to urgent incidents on their live element until one of them acknowledges; they see what is open,
    # act on it (actions, handing it to the police, property management or a repair).
    "incidents.watch": OVERSEERS | {SECURITY},
    "incidents.acknowledge": OVERSEERS | {SECURITY},
    "incidents.act": OVERSEERS | {SECURITY},
    "incidents.close": OVERSEERS,  # close with an outcome
    "incidents.list": OVERSEERS,  # any range with filters, the monthly counts per kind, the Excel export
    "incidents.drills": OVERSEERS,  # record drills and read them
    "incidents.handover": frozenset({SECURITY}),  # its shift handover lists the open incidents until closed
    # complaints
    "complaints.register": EVERYONE,  # anyone on duty registers what a guest complains about
    "complaints.view": EVERYONE,  # a complaint's page: the overseers and the front desk any, others their own
    "complaints.list": OVERSEERS | {CONCIERGE},  # every complaint, with filters and deadline flags
    "complaints.work": OVERSEERS | {CONCIERGE},  # investigate, propose remedies, carry one out with the guest
    "complaints.decide": MANAGER_ONLY,  # judge founded or not, pick the remedy, review and classify
    "complaints.personal": OVERSEERS,  # a guest's name and phone in full (masked for everyone else)
    "complaints.follow_up": OVERSEERS | {CONCIERGE},  # the follow-up calls due; a number revealed on tap (audited)
    "complaints.report": OVERSEERS,  # the monthly classification report and its Excel
    "complaints.settings": MANAGER_ONLY,  # the deadlines: first response in hours, closing in days
    # desk (the front desk's call and message log)
    "desk.take": frozenset({CONCIERGE, LEAD, MANAGER}),  # take a call, a message or a visitor for someone
    # The log; security holds the door and the phone when the front desk is off, and sees it without the numbers.
    "desk.view": frozenset({CONCIERGE, SECURITY, LEAD, MANAGER}),
    "desk.done": EVERYONE,  # mark a message done: the person it is for (the service says whose), or desk.done_any
    "desk.done_any": frozenset({CONCIERGE, LEAD, MANAGER}),  # any message, a sales rep's above all (no login)
    "desk.personal": frozenset({CONCIERGE, LEAD, MANAGER}),  # a caller's phone in full (and the person it is for)
    # guests
    "guests.feedback": frozenset({CONCIERGE, MODEL_ROOM}) | OVERSEERS,  # tap a group's satisfaction, show its QR
    "guests.alerts": OVERSEERS,  # groups that left unsatisfied: handle, or make a complaint of it
    "guests.satisfaction": OVERSEERS,  # satisfaction per day, per sales rep and per post, with the remarks
    "guests.vip": MANAGER_ONLY,  # mark a known plate or phone as VIP with how to greet them
    # patrol
    "patrol.scan": EVERYONE,  # open a checkpoint's code: the rule admits only people on the night roster
    "patrol.rounds": OVERSEERS | {SECURITY},  # tonight's rounds, the checkpoints still to visit, tap one in the list
    "patrol.tasks": OVERSEERS | {SECURITY},  # what a patrol left for the morning: mark it done
    "patrol.report": OVERSEERS,  # any night's report and its Excel export
    "patrol.checkpoints": MANAGER_ONLY,  # place checkpoints, print their codes, set each one's position
    # the manager's day and alerts out (issue 17)
    "cockpit.view": MANAGER_ONLY,  # the manager's day: today's and the month's figures, trends, each to its list
    "sites.switch": MANAGER_ONLY,  # move the session to another site they manage (the today screen offers them)
    "alerts.settings": MANAGER_ONLY,  # the site's group robots (WeCom, DingTalk, Feishu), which events, delivery state
    "budget.set": MANAGER_ONLY,  # the site's monthly consumables budget
    # staff evaluation: everyone rostered sees their own month; the manager scores, weighs and exports
    "evaluation.own": ROSTERED,
    "evaluation.manage": MANAGER_ONLY,
    "meeting.view": OVERSEERS,  # the weekly meeting sheet (周例会)
    # head office: the company's sites side by side, one site's figures, the Excel (read-only; a site's manager
    # is not admitted: a manager sees the sites they manage, not their neighbours' figures)
    "hq.view": HQ,
    # shared devices: the manager registers the bar tablet or the booth phone, names it, sets its idle lock and resets
    # staff PINs; on a registered device anyone of the site switches user with badge number and PIN
    "device.manage": MANAGER_ONLY,
    "device.pin": EVERYONE,  # set one's own PIN (everyone of a site; head office works on no site's device)
    "device.lock": EVERYONE | HQ,  # a registered device locks itself after its idle time: whoever is logged in
    # admin
    "admin.manage": MANAGER_ONLY,
    # the logins a site's manager lists and edits: the site's staff (head office's login has a home site, not a post
    # there: its password opens every site's figures, so no site's manager may set it)
    "admin.staff": EVERYONE,
}


def can(user, action: str) -> bool:
    """May this user do this action? An unknown action is a programming error, not a "no"."""
    posts = RULES[action]
    return bool(getattr(user, "is_authenticated", False)) and user.post in posts


def post_can(post: str, action: str) -> bool:
    """May someone of this post do this action (the menu is rendered once per post)?"""
    return post in RULES[action]


def template_can(action: str, post: str | None = None) -> bool:
    """The `can` of templates: the logged-in user, or a post when a fragment is rendered for a post."""
    if post is None:
        # The user's post, looked up once per request: going through the current_user proxy costs a page
        # ~15 µs per question, and a list asks per row.
        post = g.get("user_post")
        if post is None:
            post = g.user_post = current_user.post if current_user.is_authenticated else ""
    return post in RULES[action]


def posts_for(action: str) -> frozenset[str]:
    """The posts an action admits (for services that pick people, e.g. who may be rostered)."""
    return RULES[action]


def requires(action: str):
    """Allow the view only to logged-in users whom `action` admits; others get 403."""
    posts = RULES[action]  # fails at import for a misspelt action

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.post not in posts:
                abort(403)
            return view(*args, **kwargs)
        wrapped.required_action = action
        return wrapped
    return decorator


def endpoint_action(app, endpoint: str) -> str | None:
    """The action a route requires (None for routes open to any login or to everyone)."""
    return getattr(app.view_functions[endpoint], "required_action", None)
