import target


def test_answer():
    assert target.answer() == 42
