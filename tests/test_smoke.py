from app.accounts.models import Role
from tests.conftest import TEST_PASSWORD
from tests.factories import grant, make_account, make_member, make_tree
from tests.helpers import log_in


def test_pages_render_and_login_works(client, db, settings):
    units = make_tree(db)
    member = make_member(db, units["OV-A"], "Anna", "Ahorn", email="anna@example.org")
    account = make_account(db, settings, "anna@example.org", TEST_PASSWORD, member=member)
    grant(db, account, Role.BOARD, units["OV-A"])
    db.commit()
    assert client.get("/").status_code == 200
    response = log_in(client, "anna@example.org", TEST_PASSWORD)
    assert response.status_code in (302, 303), response.text
    for path in [
        "/dashboard",
        "/units/",
        "/units/BV",
        "/units/OV-A/members",
        f"/members/{member.id}",
        "/me/",
    ]:
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:2000])
