"""The register's pages issue the same number of SQL statements with one crew and with many."""
import pytest

from hospitality.workers import services
from tests.factories import inside_crew, make_user, register, site_of, submit, who, worker_env
from tests.harness import counting, login


def _measure(app, client, url) -> int:
    with counting(app) as seen:
        r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    return len(seen)


def _crews(app, env, n: int, start: int) -> None:
    """n crews in every state (some counts differ), each with its own supervisor and attendant counting."""
    with app.test_request_context():
        site = site_of(env)
        for k in range(start, start + n):
            keeper = make_user(env.site, "model_room")
            sup = make_user(env.site, "security")
            people = [(f"工人{k}-{p}", f"1380000{k:04d}") for p in range(3)]
            entry = register(env, people=people, company=f"公司{k % 4}", room=env.room if k % 2 else env.room2,
                             supervisor_id=sup.id)
            state = k % 5
            if state == 0:
                continue  # registered, waiting for the count before
            count = services.count_before(site, keeper, entry)
            submit(env, count, {env.vase: "1"} if state == 4 and k % 2 else None, post=None, user=keeper)
            if state == 1:
                continue  # counted, may go in
            services.go_in(site, who(env, "security"), entry)
            if state == 2:
                continue  # inside
            services.leave(site, who(env, "security"), entry)
            if state == 3:
                continue  # left, to be counted
            after = services.count_after(site, keeper, entry)
            submit(env, after, {env.lamp: "0"} if k % 3 == 0 else None, post=None, user=keeper)


@pytest.mark.parametrize("who_, url", [
    ("lead", "/workers/"),
    ("manager", "/workers/?company=公司1"),
    ("model_room", "/workers/"),
    ("model_room", "/workers/inside"),
    ("security", "/workers/inside"),
    ("lead", "/workers/{entry}"),
    ("security", "/workers/new"),
])
def test_query_count_is_constant_as_crews_grow(app, who_, url):
    """The lists, the inside panel and an entry page: the same statements for one crew as for fifty."""
    env = worker_env(app)
    with app.test_request_context():
        entry = inside_crew(env).id
    client = login(app, env.names[who_])
    url = url.format(entry=entry)
    _crews(app, env, 1, 1)
    small = _measure(app, client, url)
    _crews(app, env, 50, 100)
    large = _measure(app, client, url)
    assert large == small, f"{url}: {small} statements with one crew, {large} with fifty"
