"""Each role lands on its own page and sees the proposals it should."""

from __future__ import annotations


def test_each_role_lands_on_its_home(client_for, make_proposal):
    pid = make_proposal("submitted")
    homes = {"unit1": "/unit/", "reviewer": "/review/", "boardhead": "/review/",
             "secretary": "/council/", "member1": "/council/", "admin": "/admin/"}
    for user, home in homes.items():
        response = client_for(user).get("/")
        assert response.status_code == 302 and response.headers["Location"].endswith(home)
    page = client_for("reviewer").get("/review/").get_data(as_text=True)
    assert f'/proposals/{pid}"' in page


def test_a_clerk_of_another_unit_gets_404_for_a_guessed_url(client_for, make_proposal):
    pid = make_proposal("draft")
    assert client_for("unit1").get(f"/proposals/{pid}").status_code == 200
    assert client_for("unit2").get(f"/proposals/{pid}").status_code == 404
    # Board staff do not see drafts either.
    assert client_for("reviewer").get(f"/proposals/{pid}").status_code == 404
