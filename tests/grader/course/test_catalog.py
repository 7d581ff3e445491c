from pathlib import Path

import pytest

from grader.course import Course, CourseError

REPO = Path(__file__).resolve().parents[3]


def write_course(root: Path, text: str) -> Path:
    (root / "content").mkdir(parents=True)
    (root / "content" / "course.toml").write_text(text, encoding="utf-8")
    return root


def test_the_repository_course_lists_ten_sections_with_five_to_ten_coming():
    course = Course.load(REPO)
    assert [s.number for s in course.sections] == list(range(1, 11))
    assert [s.slug for s in course.available_sections()] == [
        "01-genserver", "02-supervisor", "03-application", "04-task-and-agent",
    ]
    assert all(s.status == "coming" for s in course.sections[4:])
    assert [s.title.split(":")[0] for s in course.sections[4:]] == [
        "Phoenix", "LiveView", "Ecto", "Testing OTP applications", "Configuration",
        "Production patterns",
    ]


def test_a_section_without_a_title_is_an_error_naming_the_field(tmp_path):
    root = write_course(tmp_path, '[[sections]]\nslug = "01-x"\nstatus = "available"\n')
    with pytest.raises(CourseError, match="section 1 is missing `title`"):
        Course.load(root)


def test_an_unknown_status_is_an_error_listing_the_allowed_ones(tmp_path):
    root = write_course(
        tmp_path, '[[sections]]\nslug = "01-x"\ntitle = "X"\nstatus = "draft"\n'
    )
    with pytest.raises(CourseError, match="use one of available, coming"):
        Course.load(root)


def test_duplicate_slugs_are_rejected(tmp_path):
    section = '[[sections]]\nslug = "01-x"\ntitle = "X"\nstatus = "coming"\n'
    root = write_course(tmp_path, section * 2)
    with pytest.raises(CourseError, match="duplicate section slugs: 01-x"):
        Course.load(root)


def test_a_missing_course_file_says_where_it_was_expected(tmp_path):
    with pytest.raises(CourseError, match=r"content/course\.toml"):
        Course.load(tmp_path)


def test_looking_up_an_unknown_section_names_the_known_ones():
    with pytest.raises(CourseError, match="known: 01-genserver"):
        Course.load(REPO).section("99-nope")
