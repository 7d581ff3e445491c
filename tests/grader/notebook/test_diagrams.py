from grader.notebook.diagrams import MessageFlow, TreeNode, flow_svg, mark_changes, trees_svg


def tree(cache_pid: str | None, db_pid: str = "<0.3.0>") -> TreeNode:
    return TreeNode("App", "<0.1.0>", "supervisor", children=(
        TreeNode("cache", cache_pid), TreeNode("db", db_pid),
    ))


def test_a_new_pid_is_marked_restarted_and_an_unchanged_one_stays_running():
    after = mark_changes(tree("<0.2.0>"), tree("<0.9.0>"))
    states = [(c.label, c.state) for c in after.children]
    assert states == [("cache", "restarted"), ("db", "running")]


def test_a_child_without_pid_is_marked_stopped():
    after = mark_changes(tree("<0.2.0>"), tree(None))
    assert after.children[0].state == "stopped"


def test_a_tree_picture_is_svg_naming_every_process_and_its_pid():
    after = mark_changes(tree("<0.2.0>"), tree(None))
    svg = trees_svg([("before", tree("<0.2.0>")), ("after", after)])
    assert svg.startswith("<svg xmlns='http://www.w3.org/2000/svg'")
    for text in ("before", "after", "App", "cache", "db", "&lt;0.2.0&gt;", "not running"):
        assert text in svg


def test_a_message_flow_draws_one_arrow_per_message_between_lifelines():
    flow = MessageFlow("demo")
    flow.record("you", "counter", "increment", "call")
    flow.record("counter", "you", "1", "reply")
    flow.note("counter", "state = 1")
    svg = flow_svg(flow)
    assert flow.participants == ["you", "counter"]
    assert svg.count("<line") == 2 + 2  # two lifelines, two arrows
    assert "call: increment" in svg and "reply: 1" in svg and "state = 1" in svg
    assert "stroke-dasharray='6 4'" in svg, "replies are dashed"
