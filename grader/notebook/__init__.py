"""The lessons' notebook side: an IPython extension and the pictures it draws.

- ``diagrams``        supervision trees and message flows as SVG (pure data -> SVG text)
- ``observe``         reads a live ``otp`` system into those pictures; crash-and-wait helpers
- ``logs``            one-line crash reports, so deliberate crashes do not bury the lesson
- ``report``          how a grading result looks in a notebook (and the MIME type tools read)
- ``runner``          finds the exercise, runs its tests in the grading engine from the kernel
- ``service_client``  ``%submit`` to a running grader service
- ``magics``          ``%load_ext grader.notebook``: the ``%%exercise`` cell magic that runs an
                      exercise's visible tests on the cell, and ``%submit`` that grades it

Only ``magics`` knows about IPython; the rest works in any Python program.
"""

from grader.notebook.diagrams import MessageFlow, TreeNode, TreePicture, flow_svg, trees_svg
from grader.notebook.logs import compact_otp_logs, show_full_logs
from grader.notebook.observe import (
    kill_and_wait,
    settled,
    show_trees,
    supervision_tree,
    trace_calls,
)

__all__ = [
    "MessageFlow",
    "TreeNode",
    "TreePicture",
    "compact_otp_logs",
    "flow_svg",
    "kill_and_wait",
    "load_ipython_extension",
    "settled",
    "show_full_logs",
    "show_trees",
    "supervision_tree",
    "trace_calls",
    "trees_svg",
]


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext grader.notebook`` registers the exercise magics in this kernel."""
    from grader.notebook.logs import compact_otp_logs
    from grader.notebook.magics import register

    compact_otp_logs()
    register(ipython)
