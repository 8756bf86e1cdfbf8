"""Operating events in the emulator: enable/disable, event history, retry schedules, failure policy."""

from __future__ import annotations

from typing import Any

from tests.emulator_fixtures import InProcessEmulator, auth_headers
from tests.test_emulator_delivery import running, trigger, webhook_body


def element_headers(handle: InProcessEmulator, token: str) -> dict[str, str]:
    base = auth_headers(handle.user_secret, handle.org_secret)["Authorization"]
    return {"Authorization": f"{base}, Element {token}"}


def test_a_disabled_instance_answers_403_to_its_token_and_enables_again(
    emulator: InProcessEmulator, callback_receiver: Any
) -> None:
    receiver = callback_receiver()
    with running(emulator) as c:
        inst = c.post("/instances", json=webhook_body(receiver.url)).json()
        own = element_headers(emulator, inst["token"])
        assert c.get("/instances", headers=own).status_code == 200
        for _ in range(2):  # idempotent
            response = c.delete(f"/instances/{inst['id']}/enabled")
            assert response.status_code == 200 and response.json()["disabled"] is True
        refused = c.get("/instances", headers=own)
        assert refused.status_code == 403
        assert set(refused.json()) == {"requestId", "message"} and "disabled" in refused.json()["message"]
        assert c.get(f"/instances/{inst['id']}/configuration", headers=own).status_code == 403
        assert c.get(f"/instances/{inst['id']}").json()["disabled"] is True  # user/org calls still answer
        assert trigger(c, emulator.root_url, inst["id"]).status_code == 409  # its events are refused, not kept
        for _ in range(2):
            response = c.put(f"/instances/{inst['id']}/enabled")
            assert response.status_code == 200 and response.json()["disabled"] is False
        assert c.get("/instances", headers=own).status_code == 200
    assert receiver.hits == 0
