from shoplink.workflows.links import accept_link, new_link
from tests.conftest import T0


def test_a_link_can_be_invited_and_accepted(make_shop, make_account, uow):
    make_shop("Acme")
    make_account("alice")
    link = new_link(uow(), "Acme", "alice", T0)
    assert link["state"] == "invited"
    linked = accept_link(uow(), link["id"], "alice", T0)
    assert linked["state"] == "linked"
    assert [e["event"] for e in linked["history"]] == ["search", "verify", "invite", "accept"]
