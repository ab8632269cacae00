"""Access rules of alerts out (see tests/access_rules.py): only the manager sets the site's group robots."""
from hospitality.database import write_tx
from hospitality.extensions import db
from hospitality.models import Site
from hospitality.models.alerts import AlertRobot
from tests.access_rules import MANAGER, Rule

ROBOT = {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=matrix",
         "events": "incident_urgent"}

MATRIX = {
    ("/alerts/", "GET"): Rule(MANAGER),
    ("/alerts/", "POST"): Rule(MANAGER, 302, ROBOT, True),
    ("/alerts/<int:robot_id>/remove", "POST"): Rule(MANAGER, 302, writes=True),
    ("/alerts/<int:robot_id>/edit", "GET"): Rule(MANAGER),
    ("/alerts/<int:robot_id>/edit", "POST"): Rule(MANAGER, 302, ROBOT, True),
}


def rows(site: Site, ids: dict) -> dict:
    """A robot of the site, for the remove route."""
    with write_tx():
        r = AlertRobot(site_id=site.id, kind="dingtalk", url="https://oapi.dingtalk.com/robot/send?access_token=m",
                       secret="SECmatrix", events="discrepancy")
        db.session.add(r)
        db.session.flush()
    return {"robot_id": r.id}
