from tests.conftest import log_in


def test_demo_login_lands_on_home(client, make_user):
    make_user("organiser")
    response = log_in(client, "organiser@test.example")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Welcome, Test organiser" in page
