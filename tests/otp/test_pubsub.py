"""PubSub: topics, broadcast variants, delivery guarantees, and the adapter seam."""

from __future__ import annotations

from typing import Any

import pytest
from otp import Down, GenServer, Pid, Process, Supervisor, receive, self, send, spawn, spawn_link
from otp.pubsub import LocalAdapter, PubSub, PubSubAdapter, UnknownPubSubError
from otp.registry import Registry, RegistryError

pytestmark = pytest.mark.usefixtures("no_leaks")


@pytest.fixture
async def pubsub() -> Any:
    pid = await PubSub.start_link(name="chat")
    yield "chat"
    Process.exit(pid, "kill")


def queued() -> int:
    """How many messages wait in the calling process's mailbox (sends are synchronous)."""
    info = Process.info(self())
    assert info is not None
    return info["message_queue_len"]


async def subscriber(pubsub: str, *topics: str) -> Pid:
    """A process that subscribes to ``topics`` and forwards each message to the test."""
    parent = self()

    async def body() -> None:
        for topic in topics:
            PubSub.subscribe(pubsub, topic)
        send(parent, ("subscribed", self()))
        while True:
            message = await receive()
            send(parent, ("got", self(), message))

    pid = spawn(body)
    await receive(lambda m: m == ("subscribed", pid), timeout=2)
    return pid


async def received_by(pid: Pid, count: int) -> list[Any]:
    got = []
    for _ in range(count):
        message = await receive(lambda m: m[:2] == ("got", pid), timeout=2)
        got.append(message[2])
    return got


async def test_a_subscriber_receives_broadcasts_on_its_topic_only(pubsub: str) -> None:
    pid = await subscriber(pubsub, "room:1")
    PubSub.broadcast(pubsub, "room:2", "not for you")
    PubSub.broadcast(pubsub, "room:1", {"text": "hi"})
    assert await received_by(pid, 1) == [{"text": "hi"}]
    Process.exit(pid, "kill")


async def test_the_calling_process_can_subscribe_and_receives_the_message_as_sent(
    pubsub: str,
) -> None:
    PubSub.subscribe(pubsub, "news")
    PubSub.broadcast(pubsub, "news", ("headline", 1))
    assert await receive(timeout=1) == ("headline", 1)
    PubSub.unsubscribe(pubsub, "news")


async def test_broadcast_from_skips_the_sender(pubsub: str) -> None:
    other = await subscriber(pubsub, "room")
    PubSub.subscribe(pubsub, "room")
    PubSub.broadcast_from(pubsub, self(), "room", "echo?")
    assert await received_by(other, 1) == ["echo?"]
    assert queued() == 0
    PubSub.unsubscribe(pubsub, "room")
    Process.exit(other, "kill")


async def test_unsubscribe_stops_delivery(pubsub: str) -> None:
    PubSub.subscribe(pubsub, "news")
    PubSub.unsubscribe(pubsub, "news")
    PubSub.broadcast(pubsub, "news", "missed")
    assert queued() == 0
    assert PubSub.subscribers(pubsub, "news") == []


async def test_a_process_subscribed_twice_receives_each_message_twice(pubsub: str) -> None:
    PubSub.subscribe(pubsub, "news")
    PubSub.subscribe(pubsub, "news")
    PubSub.broadcast(pubsub, "news", "twice")
    assert queued() == 2
    assert [await receive(timeout=1), await receive(timeout=1)] == ["twice", "twice"]
    PubSub.unsubscribe(pubsub, "news")  # drops both subscriptions
    assert PubSub.subscribers(pubsub, "news") == []


async def test_each_subscriber_receives_messages_in_broadcast_order(pubsub: str) -> None:
    a = await subscriber(pubsub, "ticks")
    b = await subscriber(pubsub, "ticks")
    for n in range(50):
        PubSub.broadcast(pubsub, "ticks", n)
    assert await received_by(a, 50) == list(range(50))
    assert await received_by(b, 50) == list(range(50))
    for pid in (a, b):
        Process.exit(pid, "kill")


async def test_dead_subscribers_are_dropped(pubsub: str) -> None:
    dead = await subscriber(pubsub, "news")
    alive = await subscriber(pubsub, "news")
    Process.exit(dead, "kill")
    assert PubSub.subscribers(pubsub, "news") == [alive]
    PubSub.broadcast(pubsub, "news", "still here")
    assert await received_by(alive, 1) == ["still here"]
    Process.exit(alive, "kill")


async def test_broadcasting_to_no_one_is_fine(pubsub: str) -> None:
    PubSub.broadcast(pubsub, "empty", "hello?")
    PubSub.broadcast_from(pubsub, self(), "empty", "hello?")
    PubSub.local_broadcast(pubsub, "empty", "hello?")


async def test_an_unknown_pubsub_raises_an_error_that_says_how_to_start_it() -> None:
    with pytest.raises(UnknownPubSubError, match=r"PubSub.start_link\(name='nope'\)"):
        PubSub.broadcast("nope", "t", "m")


async def test_a_plain_registry_is_not_a_pubsub() -> None:
    pid = await Registry.start_link(keys="duplicate", name="plain")
    with pytest.raises(RegistryError, match="is a Registry, not a PubSub"):
        PubSub.subscribe("plain", "t")
    Process.exit(pid, "kill")


# --- the adapter seam: two "nodes" joined by an in-memory bus ------------------------------


class Bus:
    """Stands in for PostgreSQL's LISTEN/NOTIFY: every adapter on it hears every other."""

    def __init__(self) -> None:
        self.adapters: list[BusAdapter] = []
        self.sent: list[tuple[str, Any, Any]] = []


class BusAdapter(PubSubAdapter):
    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.deliver: Any = None
        self.stopped = False

    async def start(self, pubsub: str, deliver: Any) -> None:
        self.deliver = deliver
        self.bus.adapters.append(self)

    def broadcast(self, topic: str, message: Any, exclude: Pid | None) -> None:
        self.bus.sent.append((topic, message, exclude))
        for peer in self.bus.adapters:
            if peer is not self:
                peer.deliver(topic, message)

    async def stop(self) -> None:
        self.stopped = True
        self.bus.adapters.remove(self)


async def test_an_adapter_carries_broadcasts_to_subscribers_on_other_nodes() -> None:
    bus = Bus()
    node_a = await PubSub.start_link(name="node_a", adapter=BusAdapter(bus))
    node_b = await PubSub.start_link(name="node_b", adapter=BusAdapter(bus))
    remote = await subscriber("node_b", "deploys")
    local = await subscriber("node_a", "deploys")
    PubSub.broadcast("node_a", "deploys", "v2")
    assert await received_by(remote, 1) == ["v2"]
    assert await received_by(local, 1) == ["v2"]
    for pid in (remote, local, node_a, node_b):
        Process.exit(pid, "kill")


async def test_broadcast_from_passes_the_excluded_sender_to_the_adapter() -> None:
    bus = Bus()
    node = await PubSub.start_link(name="node_a", adapter=BusAdapter(bus))
    PubSub.broadcast_from("node_a", self(), "t", "m")
    assert bus.sent == [("t", "m", self())]
    Process.exit(node, "kill")


async def test_local_broadcast_never_reaches_the_adapter() -> None:
    bus = Bus()
    node_a = await PubSub.start_link(name="node_a", adapter=BusAdapter(bus))
    node_b = await PubSub.start_link(name="node_b", adapter=BusAdapter(bus))
    remote = await subscriber("node_b", "t")
    PubSub.local_broadcast("node_a", "t", "only here")
    assert bus.sent == []
    assert queued() == 0
    for pid in (remote, node_a, node_b):
        Process.exit(pid, "kill")


async def test_the_adapter_is_stopped_when_the_pubsub_stops() -> None:
    bus = Bus()
    adapter = BusAdapter(bus)
    await PubSub.start_link(name="node_a", adapter=adapter)
    await GenServer.stop("node_a")
    assert adapter.stopped and bus.adapters == []


async def test_a_crash_in_a_process_the_adapter_linked_stops_the_pubsub() -> None:
    class ListeningAdapter(LocalAdapter):
        listener: Pid | None = None

        async def start(self, pubsub: str, deliver: Any) -> None:
            async def listen() -> None:
                await receive(lambda m: m == "lose connection")
                raise ConnectionError("database went away")

            self.listener = spawn_link(listen)

    adapter = ListeningAdapter()
    pid = await PubSub.start_link(name="node_a", adapter=adapter)
    ref = Process.monitor(pid)
    assert adapter.listener is not None
    send(adapter.listener, "lose connection")
    down = await receive(lambda m: isinstance(m, Down) and m.ref is ref, timeout=2)
    assert isinstance(down.reason, ConnectionError)


async def test_a_pubsub_in_a_supervision_tree_starts_and_stops_its_adapter() -> None:
    bus = Bus()
    adapter = BusAdapter(bus)
    sup = await Supervisor.start_link([(PubSub, {"name": "node_a", "adapter": adapter})])
    assert bus.adapters == [adapter]
    PubSub.subscribe("node_a", "t")
    PubSub.broadcast("node_a", "t", "hello")
    assert await receive(timeout=1) == "hello"
    await Supervisor.stop(sup)
    assert adapter.stopped and bus.adapters == []
