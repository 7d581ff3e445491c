"""Pictures for the lessons: supervision trees and message flows drawn as SVG.

Pure data in, SVG text out; no dependency beyond the standard library, so the same drawings
render in Jupyter (objects expose ``_repr_svg_``), in the browser lesson page and in tests.
:mod:`grader.notebook.observe` fills these data classes from a live ``otp`` system.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from html import escape
from typing import Literal

NodeKind = Literal["supervisor", "worker"]
NodeState = Literal["running", "restarted", "stopped", "crashed"]
MessageKind = Literal[
    "call", "reply", "cast", "info", "spawn", "exit", "down", "timeout", "note"
]

_FONT = "font-family='ui-monospace, SFMono-Regular, Menlo, monospace'"
_STATE_FILL: dict[str, str] = {
    "running": "#d8f3dc",
    "restarted": "#ffe8b3",
    "stopped": "#e9ecef",
    "crashed": "#ffc9c9",
}
_STATE_STROKE: dict[str, str] = {
    "running": "#2b8a3e",
    "restarted": "#d9480f",
    "stopped": "#868e96",
    "crashed": "#c92a2a",
}
_KIND_COLOUR: dict[str, str] = {
    "call": "#1864ab",
    "reply": "#1864ab",
    "cast": "#5f3dc4",
    "info": "#2b8a3e",
    "spawn": "#0b7285",
    "exit": "#c92a2a",
    "down": "#c92a2a",
    "timeout": "#e67700",
    "note": "#495057",
}


# --------------------------------------------------------------------------- trees


@dataclass(frozen=True)
class TreeNode:
    """One process in a supervision tree: its child id, its pid (``None`` when not running)."""

    label: str
    pid: str | None = None
    kind: NodeKind = "worker"
    note: str = ""
    state: NodeState = "running"
    children: tuple[TreeNode, ...] = ()

    def walk(self) -> Iterable[tuple[tuple[str, ...], TreeNode]]:
        """Every node with its path of labels from the root, parents first."""
        stack: list[tuple[tuple[str, ...], TreeNode]] = [((self.label,), self)]
        while stack:
            path, node = stack.pop(0)
            yield path, node
            stack[0:0] = [((*path, child.label), child) for child in node.children]


def mark_changes(before: TreeNode, after: TreeNode) -> TreeNode:
    """``after`` with each node whose pid changed since ``before`` marked ``restarted``.

    A node that has no pid is marked ``stopped``; nodes new in ``after`` are left as they are.
    This is how a picture shows "these processes are new": OTP restarts a child as a new
    process, so a new pid is the visible trace of a restart.
    """
    old = {path: node.pid for path, node in before.walk()}

    def mark(node: TreeNode, path: tuple[str, ...]) -> TreeNode:
        children = tuple(mark(c, (*path, c.label)) for c in node.children)
        state = node.state
        if node.pid is None:
            state = "stopped"
        elif path in old and old[path] != node.pid:
            state = "restarted"
        return replace(node, state=state, children=children)

    return mark(after, (after.label,))


@dataclass(frozen=True)
class _Placed:
    node: TreeNode
    x: float
    y: float


_BOX_W, _BOX_H, _GAP_X, _GAP_Y = 132.0, 46.0, 14.0, 34.0


def _layout(root: TreeNode) -> tuple[list[_Placed], list[tuple[_Placed, _Placed]], float, float]:
    """Leaves get consecutive slots left to right; a parent sits centred over its children."""
    placed: list[_Placed] = []
    edges: list[tuple[_Placed, _Placed]] = []
    next_slot = 0
    depth_max = 0

    def place(node: TreeNode, depth: int) -> _Placed:
        nonlocal next_slot, depth_max
        depth_max = max(depth_max, depth)
        y = depth * (_BOX_H + _GAP_Y)
        if not node.children:
            x = next_slot * (_BOX_W + _GAP_X)
            next_slot += 1
            here = _Placed(node, x, y)
            placed.append(here)
            return here
        kids = [place(child, depth + 1) for child in node.children]
        here = _Placed(node, (kids[0].x + kids[-1].x) / 2, y)
        placed.append(here)
        edges.extend((here, kid) for kid in kids)
        return here

    place(root, 0)
    width = max(1, next_slot) * (_BOX_W + _GAP_X) - _GAP_X
    height = (depth_max + 1) * (_BOX_H + _GAP_Y) - _GAP_Y
    return placed, edges, width, height


def _tree_body(root: TreeNode, dx: float, dy: float) -> tuple[list[str], float, float]:
    placed, edges, width, height = _layout(root)
    parts: list[str] = []
    for parent, child in edges:
        x1, y1 = dx + parent.x + _BOX_W / 2, dy + parent.y + _BOX_H
        x2, y2 = dx + child.x + _BOX_W / 2, dy + child.y
        ym = (y1 + y2) / 2
        parts.append(
            f"<path d='M{x1:.1f},{y1:.1f} V{ym:.1f} H{x2:.1f} V{y2:.1f}' "
            "fill='none' stroke='#adb5bd' stroke-width='1.5'/>"
        )
    for item in placed:
        node = item.node
        x, y = dx + item.x, dy + item.y
        fill, stroke = _STATE_FILL[node.state], _STATE_STROKE[node.state]
        radius = 4 if node.kind == "supervisor" else 16
        dash = " stroke-dasharray='4 3'" if node.state == "stopped" else ""
        width_px = 2.5 if node.kind == "supervisor" else 1.5
        parts.append(
            f"<rect x='{x:.1f}' y='{y:.1f}' width='{_BOX_W}' height='{_BOX_H}' rx='{radius}' "
            f"fill='{fill}' stroke='{stroke}' stroke-width='{width_px}'{dash}/>"
        )
        parts.append(
            f"<text x='{x + _BOX_W / 2:.1f}' y='{y + 19:.1f}' text-anchor='middle' "
            f"font-size='12' font-weight='bold' {_FONT}>{escape(_clip(node.label, 17))}</text>"
        )
        second = node.pid if node.pid is not None else "not running"
        if node.note:
            second = f"{second} · {node.note}"
        parts.append(
            f"<text x='{x + _BOX_W / 2:.1f}' y='{y + 36:.1f}' text-anchor='middle' "
            f"font-size='10' fill='#495057' {_FONT}>{escape(_clip(second, 22))}</text>"
        )
    return parts, width, height


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_LEGEND = (("running", "running"), ("restarted", "new pid (restarted)"), ("stopped", "stopped"))


def _legend(x: float, y: float) -> list[str]:
    parts: list[str] = []
    for state, text in _LEGEND:
        parts.append(
            f"<rect x='{x:.1f}' y='{y - 10:.1f}' width='12' height='12' rx='3' "
            f"fill='{_STATE_FILL[state]}' stroke='{_STATE_STROKE[state]}'/>"
        )
        parts.append(f"<text x='{x + 17:.1f}' y='{y:.1f}' font-size='11' {_FONT}>{text}</text>")
        x += 30 + 7 * len(text)
    return parts


def trees_svg(trees: Sequence[tuple[str, TreeNode]]) -> str:
    """Several trees side by side, each under its caption (e.g. "before", "after the crash")."""
    pad, caption_h, legend_h = 16.0, 24.0, 26.0
    parts: list[str] = []
    x = pad
    tallest = 0.0
    for caption, root in trees:
        body, width, height = _tree_body(root, x, pad + caption_h)
        width = max(width, 7.5 * len(caption))
        parts.append(
            f"<text x='{x:.1f}' y='{pad + 12:.1f}' font-size='13' font-weight='bold' "
            f"fill='#343a40' {_FONT}>{escape(caption)}</text>"
        )
        parts.extend(body)
        x += width + 3 * pad
        tallest = max(tallest, height)
    total_w = max(x - 2 * pad, 380.0)
    total_h = pad + caption_h + tallest + legend_h + pad
    parts.extend(_legend(pad, total_h - pad))
    return _svg(total_w, total_h, parts)


def _svg(width: float, height: float, parts: list[str]) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height:.0f}' "
        f"viewBox='0 0 {width:.0f} {height:.0f}'>"
        f"<rect width='100%' height='100%' fill='white'/>{''.join(parts)}</svg>"
    )


@dataclass(frozen=True)
class TreePicture:
    """What a notebook cell returns to show one or more trees; Jupyter renders ``_repr_svg_``."""

    trees: tuple[tuple[str, TreeNode], ...]

    def _repr_svg_(self) -> str:
        return trees_svg(self.trees)

    def __str__(self) -> str:
        return "\n".join(f"{caption}:\n{_text_tree(root)}" for caption, root in self.trees)

    __repr__ = __str__


def _text_tree(root: TreeNode, indent: str = "") -> str:
    line = f"{indent}{root.label} {root.pid or '(not running)'} [{root.state}]"
    return "\n".join([line, *(_text_tree(c, indent + "  ") for c in root.children)])


# --------------------------------------------------------------------------- message flows


@dataclass(frozen=True)
class Message:
    """One arrow of a sequence diagram; ``sender == receiver`` draws a note on that lifeline."""

    sender: str
    receiver: str
    label: str
    kind: MessageKind = "info"


@dataclass
class MessageFlow:
    """A sequence diagram built one message at a time, in the order things happened."""

    title: str = ""
    participants: list[str] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    def record(self, sender: str, receiver: str, label: str, kind: MessageKind = "info") -> None:
        for name in (sender, receiver):
            if name not in self.participants:
                self.participants.append(name)
        self.messages.append(Message(sender, receiver, label, kind))

    def __repr__(self) -> str:
        return f"<MessageFlow {self.title!r}: {len(self.messages)} messages>"

    def note(self, on: str, text: str) -> None:
        self.record(on, on, text, "note")

    def _repr_svg_(self) -> str:
        return flow_svg(self)

    def __str__(self) -> str:
        return "\n".join(f"{m.sender} -{m.kind}-> {m.receiver}: {m.label}" for m in self.messages)


def flow_svg(flow: MessageFlow) -> str:
    """Lifelines left to right in order of appearance; one row per message, time downwards."""
    col_w, row_h, top, pad = 170.0, 30.0, 56.0, 20.0
    columns = {name: pad + col_w / 2 + i * col_w for i, name in enumerate(flow.participants)}
    note_ends = [
        columns[m.sender] + 16 + 6.8 * len(m.label) for m in flow.messages if m.sender == m.receiver
    ]
    width = max(
        pad * 2 + col_w * max(1, len(columns)), 360.0, pad * 2 + 8.0 * len(flow.title), *note_ends
    )
    height = top + row_h * (len(flow.messages) + 1) + pad
    parts: list[str] = [
        "<defs>"
        + "".join(
            f"<marker id='arrow-{kind}' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' "
            f"markerHeight='7' orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' "
            f"fill='{colour}'/></marker>"
            for kind, colour in _KIND_COLOUR.items()
        )
        + "</defs>"
    ]
    if flow.title:
        parts.append(
            f"<text x='{pad:.1f}' y='18' font-size='13' font-weight='bold' {_FONT}>"
            f"{escape(flow.title)}</text>"
        )
    for name, x in columns.items():
        parts.append(
            f"<rect x='{x - 70:.1f}' y='26' width='140' height='22' rx='4' fill='#e7f5ff' "
            f"stroke='#1864ab'/><text x='{x:.1f}' y='41' text-anchor='middle' font-size='11' "
            f"{_FONT}>{escape(_clip(name, 20))}</text>"
        )
        parts.append(
            f"<line x1='{x:.1f}' y1='48' x2='{x:.1f}' y2='{height - pad:.1f}' stroke='#ced4da' "
            "stroke-dasharray='3 3'/>"
        )
    for row, message in enumerate(flow.messages, start=1):
        y = top + row * row_h
        colour = _KIND_COLOUR[message.kind]
        x1, x2 = columns[message.sender], columns[message.receiver]
        if message.sender == message.receiver:
            anchor = "start"
            parts.append(
                f"<circle cx='{x1:.1f}' cy='{y - 4:.1f}' r='4' fill='{colour}'/>"
                f"<text x='{x1 + 9:.1f}' y='{y:.1f}' font-size='11' fill='{colour}' "
                f"text-anchor='{anchor}' {_FONT}>{escape(message.label)}</text>"
            )
            continue
        dash = " stroke-dasharray='6 4'" if message.kind in ("reply", "exit", "down") else ""
        parts.append(
            f"<line x1='{x1:.1f}' y1='{y:.1f}' x2='{x2:.1f}' y2='{y:.1f}' stroke='{colour}' "
            f"stroke-width='1.6'{dash} marker-end='url(#arrow-{message.kind})'/>"
        )
        parts.append(
            f"<text x='{(x1 + x2) / 2:.1f}' y='{y - 5:.1f}' text-anchor='middle' font-size='11' "
            f"fill='{colour}' {_FONT}>{escape(_clip(f'{message.kind}: {message.label}', 30))}"
            "</text>"
        )
    return _svg(width, height, parts)
