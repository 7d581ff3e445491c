"""Lesson notebooks -> the pieces a lesson page is made of.

Markdown cells become HTML through markdown-it-py (raw HTML in markdown is escaped, not
passed through); code cells keep their source for the live editor plus a Pygments-highlighted
copy; stored outputs become HTML the same way the page's script renders live ones, so a cell
looks the same before and after it runs. HTML outputs go into a sandboxed iframe that cannot
run scripts, so an output can never read the page (its CSRF token, its cookies' effects).

Which code cells are special is read from cell metadata written by the lesson build:
``tags`` containing ``setup`` (preloaded into the kernel, shown collapsed) and an
``exercise`` id (``metadata.academy.exercise`` or a tag ``exercise:<id>``).
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from grader.web.kernels.messages import strip_ansi

_markdown = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable(
    ["table", "strikethrough"]
)
# Keep leading and trailing blank lines: the highlighted copy must line up with the textarea.
_lexer = PythonLexer(stripnl=False)
_formatter = HtmlFormatter(nowrap=True)


class NotebookRenderError(Exception):
    """A lesson notebook could not be read; the message names the file and what is wrong."""


@dataclass(frozen=True)
class MarkdownBlock:
    html: str
    kind: str = "markdown"


@dataclass(frozen=True)
class CodeBlock:
    index: int
    source: str
    highlighted: str
    outputs_html: str
    tags: tuple[str, ...] = ()
    exercise: str | None = None
    kind: str = "code"

    @property
    def is_setup(self) -> bool:
        return "setup" in self.tags

    @property
    def is_submit_magic(self) -> bool:
        """A notebook's ``%submit`` cell: the page's Submit button replaces it."""
        lines = [line.strip() for line in self.source.splitlines() if line.strip()]
        return bool(lines) and all(line.startswith("%submit") for line in lines)

    @property
    def cell_id(self) -> str:
        return f"cell-{self.index}"


Block = MarkdownBlock | CodeBlock


@dataclass(frozen=True)
class RenderedNotebook:
    title: str
    blocks: tuple[Block, ...]
    setup_code: str
    exercises: tuple[str, ...] = field(default=())

    @property
    def code_blocks(self) -> tuple[CodeBlock, ...]:
        return tuple(b for b in self.blocks if isinstance(b, CodeBlock))


def render_markdown(text: str) -> str:
    return _markdown.render(text)


def highlight_python(source: str) -> str:
    """Highlighted HTML spans (no wrapper), for a ``<pre><code>`` the caller provides.

    The result always ends with one newline more than a ``<pre>`` shows, like the source
    followed by a newline; an editor overlay adds one more when the source ends with one.
    """
    return highlight(source, _lexer, _formatter)


def highlight_css() -> str:
    """Pygments token colours for light and dark themes, scoped to ``.hl``."""
    light = HtmlFormatter(style="friendly").get_style_defs(".hl")
    dark = HtmlFormatter(style="monokai").get_style_defs("[data-theme='dark'] .hl")
    return light + "\n" + dark


def render_outputs(outputs: list[dict[str, Any]]) -> str:
    return "".join(render_output(output) for output in outputs)


def render_output(output: dict[str, Any]) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        name = "stderr" if output.get("name") == "stderr" else "stdout"
        return f'<pre class="out out-{name}">{html.escape(_text(output.get("text", "")))}</pre>'
    if kind == "error":
        lines = "\n".join(output.get("traceback", [])) or (
            f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
        )
        return f'<pre class="out out-error">{html.escape(strip_ansi(lines))}</pre>'
    if kind in ("execute_result", "display_data"):
        return render_mime_bundle(output.get("data", {}))
    return ""


def render_mime_bundle(bundle: dict[str, Any]) -> str:
    """The richest representation the page can show safely; mirrors ``static/lesson.js``."""
    if "text/html" in bundle:
        doc = html.escape(_text(bundle["text/html"]), quote=True)
        return (
            f'<iframe class="out out-html" sandbox="allow-same-origin" srcdoc="{doc}" '
            'title="cell output"></iframe>'
        )
    for mime in ("image/svg+xml", "image/png", "image/jpeg"):
        if mime in bundle:
            data = _text(bundle[mime])
            if mime == "image/svg+xml":
                data = base64.b64encode(data.encode()).decode()
            return f'<img class="out out-image" alt="cell output" src="data:{mime};base64,{data}">'
    if "text/markdown" in bundle:
        rendered = render_markdown(_text(bundle["text/markdown"]))
        return f'<div class="out out-markdown">{rendered}</div>'
    if "text/plain" in bundle:
        return f'<pre class="out out-result">{html.escape(_text(bundle["text/plain"]))}</pre>'
    return ""


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _exercise_of(cell: Any) -> str | None:
    academy = cell.get("metadata", {}).get("academy", {})
    if isinstance(academy, dict) and academy.get("exercise"):
        return str(academy["exercise"])
    for tag in cell.get("metadata", {}).get("tags", []):
        if tag.startswith("exercise:"):
            return tag.split(":", 1)[1]
    return None


def render_notebook(path: Path) -> RenderedNotebook:
    try:
        notebook = nbformat.read(path, as_version=4)
    except FileNotFoundError:
        raise NotebookRenderError(f"{path}: the lesson notebook is missing") from None
    except Exception as error:  # nbformat raises several unrelated types for bad files
        raise NotebookRenderError(f"{path}: not a readable notebook: {error}") from None
    return render_notebook_node(notebook, default_title=path.stem)


def render_notebook_node(notebook: Any, *, default_title: str = "Lesson") -> RenderedNotebook:
    blocks: list[Block] = []
    setup: list[str] = []
    exercises: list[str] = []
    title = default_title
    for index, cell in enumerate(notebook.cells):
        source = _text(cell.get("source", ""))
        if cell.cell_type == "markdown":
            if title == default_title:
                title = _first_heading(source) or title
            blocks.append(MarkdownBlock(render_markdown(source)))
        elif cell.cell_type == "code":
            tags = tuple(cell.get("metadata", {}).get("tags", []))
            exercise = _exercise_of(cell)
            if "setup" in tags:
                setup.append(source)
            if exercise and exercise not in exercises:
                exercises.append(exercise)
            blocks.append(
                CodeBlock(
                    index=index,
                    source=source,
                    highlighted=highlight_python(source),
                    outputs_html=render_outputs(cell.get("outputs", [])),
                    tags=tags,
                    exercise=exercise,
                )
            )
    if not setup:
        setup = _implicit_setup(blocks)
    return RenderedNotebook(title, tuple(blocks), "\n\n".join(setup), tuple(exercises))


_SETUP_LINE_PREFIXES = ("import ", "from ", "%load_ext ", "#")


def _implicit_setup(blocks: list[Block]) -> list[str]:
    """Without a ``setup`` tag, a first code cell of only imports is the lesson's setup."""
    first = next((b for b in blocks if isinstance(b, CodeBlock)), None)
    if first is None or first.exercise:
        return []
    lines = [line.strip() for line in first.source.splitlines() if line.strip()]
    if lines and all(line.startswith(_SETUP_LINE_PREFIXES) for line in lines):
        return [first.source]
    return []


def _first_heading(markdown: str) -> str | None:
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None
