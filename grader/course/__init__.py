"""Authors' tools: the course catalog, notebook sources, notebook validation and the course build.

Layers, inner to outer:

- ``catalog``    reads ``content/course.toml``: the sections, their order and status
- ``sources``    turns a lesson's Markdown source (``content/_src/<slug>.md``) into its notebook
- ``execution``  runs a notebook top to bottom in a fresh kernel (nbclient) and reports the
                 first cell that failed, and the visible-test results each exercise cell showed
- ``validate``   the two passes over every notebook: as shipped, and with reference solutions
- ``build``      writes what learners get: notebooks, starters, visible tests — nothing hidden
- ``scaffold``   ``academy course new-exercise``: a new exercise folder that validates
"""

from grader.course.catalog import Course, CourseError, Section

__all__ = ["Course", "CourseError", "Section"]
