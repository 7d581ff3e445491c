import target

HIDDEN_MARKER = "hidden-marker-7f3a9c: this text must never reach a learner"


async def test_answer_async():
    assert await target.answer_async() == 42, "answer_async gives the answer"
