"""Notebook -> lesson page pieces: markdown, highlighted code, stored outputs, special cells."""

from __future__ import annotations

import base64

import nbformat

from grader.web.rendering import (
    render_markdown,
    render_notebook_node,
    render_output,
)


def test_markdown_renders_tables_and_escapes_raw_html() -> None:
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n<img src=x onerror=alert(1)>")
    assert "<table>" in html and "<td>1</td>" in html
    assert "<img" not in html and "&lt;img" in html


def test_stored_outputs_render_like_live_ones_and_html_is_sandboxed() -> None:
    stream = render_output({"output_type": "stream", "name": "stdout", "text": ["a<b\n"]})
    assert stream == '<pre class="out out-stdout">a&lt;b\n</pre>'
    html = render_output(
        {"output_type": "display_data", "data": {"text/html": "<b>x</b>", "text/plain": "x"}}
    )
    assert 'sandbox="allow-same-origin"' in html and "srcdoc=\"&lt;b&gt;x&lt;/b&gt;\"" in html
    png = base64.b64encode(b"\x89PNG").decode()
    image = render_output({"output_type": "execute_result", "data": {"image/png": png}})
    assert f'src="data:image/png;base64,{png}"' in image
    error = render_output(
        {"output_type": "error", "ename": "E", "evalue": "v",
         "traceback": ["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"]}
    )
    assert "ZeroDivisionError: division by zero" in error and "\x1b" not in error


def test_exercise_cells_setup_and_submit_cells_are_recognised() -> None:
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# The title\n\ntext"),
            nbformat.v4.new_code_cell("%load_ext grader.notebook\nimport otp"),
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell(
                "%%exercise 01-genserver/counter\npass",
                metadata={"academy": {"exercise": "01-genserver/counter"}},
            ),
            nbformat.v4.new_code_cell("%submit 01-genserver/counter"),
        ]
    )
    rendered = render_notebook_node(notebook)
    assert rendered.title == "The title"
    assert rendered.setup_code == "%load_ext grader.notebook\nimport otp"
    assert rendered.exercises == ("01-genserver/counter",)
    code = rendered.code_blocks
    assert [block.exercise for block in code] == [None, None, "01-genserver/counter", None]
    assert code[-1].is_submit_magic and not code[1].is_submit_magic
    assert '<span class="n">x</span>' in code[1].highlighted


def test_a_first_cell_that_does_work_is_not_mistaken_for_setup() -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import otp\nrun()")])
    assert render_notebook_node(notebook).setup_code == ""
