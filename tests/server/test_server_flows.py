"""The pending-flow registry on its own (no server): single use, expiry, user binding."""

from __future__ import annotations

import pytest

from agol_jupyter import oauth
from agol_jupyter.server.flows import TOMBSTONE_SECONDS, FlowRegistry, FlowRejected, PendingFlow


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry(clock: Clock) -> FlowRegistry:
    return FlowRegistry(600, clock=clock, max_pending=5)


def make(registry: FlowRegistry, user: str = "alice", request_id: str = "r" * 20) -> PendingFlow:
    return registry.create(
        request_id=request_id,
        portal="https://gis.example.com/portal",
        client_id="app",
        profile="default",
        redirect_uri="http://127.0.0.1:8888/agol/callback",
        username=user,
    )


def rejected(call: object, *args: str) -> FlowRejected:
    with pytest.raises(FlowRejected) as info:
        call(*args)  # type: ignore[operator]
    return info.value


def test_start_then_take(registry: FlowRegistry) -> None:
    flow = make(registry)
    assert registry.start(flow.flow_id, "alice") is flow
    assert flow.code_challenge == oauth.s256_challenge(flow.code_verifier)
    assert registry.take(flow.state, "alice") is flow
    assert len(registry) == 0


def test_fresh_secrets_and_no_secrets_in_repr(registry: FlowRegistry) -> None:
    a, b = make(registry), make(registry)
    assert len({a.flow_id, b.flow_id, a.state, b.state, a.code_verifier, b.code_verifier}) == 6
    assert a.state not in repr(a) and a.code_verifier not in repr(a)
    assert 43 <= len(a.code_verifier) <= 128


@pytest.mark.parametrize(
    ("steps", "kind", "status"),
    [
        (["start", "start"], "flow_used", 409),
        (["start", "take", "start"], "flow_used", 409),
        (["start", "take", "take"], "state_used", 409),
        (["take", "take"], "state_used", 409),
        (["wait", "start"], "flow_expired", 410),
        (["start", "wait", "take"], "state_expired", 410),
        (["start", "wait", "wait-long", "take"], "unknown_state", 400),
        (["bob-start"], "wrong_user", 403),
        (["start", "bob-take"], "wrong_user", 403),
    ],
)
def test_rejections(
    registry: FlowRegistry, clock: Clock, steps: list[str], kind: str, status: int
) -> None:
    flow = make(registry)
    actions = {
        "start": lambda: registry.start(flow.flow_id, "alice"),
        "take": lambda: registry.take(flow.state, "alice"),
        "bob-start": lambda: registry.start(flow.flow_id, "bob"),
        "bob-take": lambda: registry.take(flow.state, "bob"),
    }
    *before, last = steps
    for step in before:
        if step == "wait":
            clock.now += 601
        elif step == "wait-long":
            clock.now += TOMBSTONE_SECONDS + 1
        else:
            actions[step]()
    error = rejected(actions[last])
    assert (error.kind, error.status) == (kind, status)
    assert error.message and error.remedy
    # Only an expired flow names its request, so the waiting kernel can be told.
    assert error.request_id == (flow.request_id if status == 410 else "")


def test_wrong_user_at_start_leaves_the_flow_usable(registry: FlowRegistry) -> None:
    flow = make(registry)
    rejected(registry.start, flow.flow_id, "bob")
    assert registry.start(flow.flow_id, "alice") is flow


def test_wrong_user_at_callback_spends_the_flow(registry: FlowRegistry) -> None:
    flow = make(registry)
    rejected(registry.take, flow.state, "bob")
    assert rejected(registry.take, flow.state, "alice").status == 409


@pytest.mark.parametrize("value", ["", "nope", "x" * 5000, "ünï☃\u202e", "<script>"])
def test_unknown_values(registry: FlowRegistry, value: str) -> None:
    make(registry)
    assert rejected(registry.start, value, "alice").kind == "unknown_flow"
    assert rejected(registry.take, value, "alice").kind == "unknown_state"


def test_discard_spends_the_flow(registry: FlowRegistry) -> None:
    flow = make(registry)
    registry.start(flow.flow_id, "alice")
    registry.discard(flow)
    assert rejected(registry.take, flow.state, "alice").status == 409


def test_oldest_flows_give_way(registry: FlowRegistry) -> None:
    flows = [make(registry) for _ in range(7)]
    assert len(registry) == 5
    assert rejected(registry.start, flows[0].flow_id, "alice").status == 410
    assert registry.start(flows[-1].flow_id, "alice") is flows[-1]


def test_sweep_forgets_expired_flows(registry: FlowRegistry, clock: Clock) -> None:
    make(registry)
    clock.now += 601
    registry.sweep()
    assert len(registry) == 0
