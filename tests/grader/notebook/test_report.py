from grader.notebook.report import RESULTS_MIME, ResultsView

RESULT = {
    "exercise": "01-demo/a", "status": "fail", "score": 1, "max_score": 3, "message": None,
    "tests": [
        {"name": "test_one", "status": "pass", "task": "T"},
        {"name": "test_two", "status": "fail", "message": "two is wrong", "comparison": "==",
         "expected_repr": "2", "actual_repr": "3"},
        {"name": "test_three", "status": "fail", "message": "three is wrong"},
    ],
}


def test_only_the_first_failure_is_explained():
    text = ResultsView(RESULT).text()
    assert text.splitlines()[0] == "visible tests: 1/3 passed, score 1/3"
    assert "two is wrong" in text and "expected == 2" in text and "actual:    3" in text
    assert "three is wrong" not in text, "one failure at a time"


def test_the_bundle_carries_html_and_the_raw_result_for_tools():
    bundle = ResultsView(RESULT, kind="submission")._repr_mimebundle_()
    assert bundle[RESULTS_MIME] == {**RESULT, "kind": "submission"}
    assert "submission: 1/3 passed" in bundle["text/html"]


def test_a_submission_that_could_not_run_says_so_with_its_message():
    view = ResultsView({"status": "error", "score": 0, "max_score": 3, "tests": [],
                        "message": "SyntaxError: invalid syntax (line 3)"})
    assert view.text().splitlines() == [
        "visible tests: could not run your code", "  SyntaxError: invalid syntax (line 3)",
    ]
