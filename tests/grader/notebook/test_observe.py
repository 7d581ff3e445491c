import otp
from otp import GenServer, NoReply, Ok, Reply, Supervisor

from grader.notebook import MessageFlow, kill_and_wait, show_trees, supervision_tree, trace_calls


class Echo(GenServer):
    async def init(self, arg):
        return Ok(arg)

    async def handle_call(self, request, from_, state):
        return Reply(request, state)

    async def handle_cast(self, request, state):
        return NoReply(state)


def echo(name):
    return Echo.child_spec(None, name=name, id=name)


async def test_a_snapshot_lists_children_in_start_order_with_nested_supervisors():
    inner = Supervisor.child_spec([echo("b")], id="inner", name="inner")
    sup = await Supervisor.start_link([echo("a"), inner], name="top")
    snapshot = await supervision_tree(sup)
    assert snapshot.label == "top"
    kinds = [(c.label, c.kind) for c in snapshot.children]
    assert kinds == [("a", "worker"), ("inner", "supervisor")]
    assert [c.label for c in snapshot.children[1].children] == ["b"]
    await Supervisor.stop(sup)


async def test_killing_a_child_shows_up_as_restarted_in_the_comparison():
    sup = await Supervisor.start_link([echo("a"), echo("b")])
    before = await supervision_tree(sup, "sup")
    assert await kill_and_wait(otp.Process.whereis("a")) == "killed"
    after = await supervision_tree(sup, "sup")
    picture = show_trees(("before", before), ("after", after))
    assert [c.state for c in picture.trees[1][1].children] == ["restarted", "running"]
    assert "<svg" in picture._repr_svg_()
    await Supervisor.stop(sup)


async def test_trace_calls_records_calls_replies_and_casts_then_restores_genserver():
    pid = await Echo.start_link(None)
    original = GenServer.call
    flow = MessageFlow()
    with trace_calls(flow, names={pid: "echo"}):
        assert await GenServer.call(pid, "hi") == "hi"
        GenServer.cast(pid, "bye")
    assert [(m.sender, m.receiver, m.label, m.kind) for m in flow.messages] == [
        ("you (notebook)", "echo", "hi", "call"),
        ("echo", "you (notebook)", "hi", "reply"),
        ("you (notebook)", "echo", "bye", "cast"),
    ]
    assert GenServer.call == original
    await GenServer.stop(pid)
