"""Child specs: the forms a child may be given in, and the OTP defaults they get."""

import math

import pytest
from otp.child_spec import ChildSpec, InvalidChildSpecError, child_spec


async def start_nothing(*args):
    return None


class Worker:
    @classmethod
    def child_spec(cls, arg="default"):
        return ChildSpec(id=cls, start=(cls.start_link, (arg,)))

    @classmethod
    async def start_link(cls, arg):
        return None


class DictSpecWorker:
    @classmethod
    def child_spec(cls, arg=None):
        return {"id": "dict-worker", "start": (start_nothing, (arg,)), "restart": "transient"}


def test_worker_shutdown_defaults_to_five_seconds():
    assert ChildSpec(id="w", start=(start_nothing, ())).shutdown_timeout == 5.0


def test_supervisor_shutdown_defaults_to_infinity():
    spec = ChildSpec(id="s", start=(start_nothing, ()), type="supervisor")
    assert spec.shutdown_timeout == math.inf


def test_infinity_and_brutal_kill_shutdowns_are_kept_apart():
    assert ChildSpec(id="w", start=start_nothing, shutdown="infinity").shutdown_timeout == math.inf
    brutal = ChildSpec(id="w", start=start_nothing, shutdown="brutal_kill")
    assert brutal.shutdown_timeout == "brutal_kill"


def test_restart_defaults_to_permanent_and_type_to_worker():
    spec = ChildSpec(id="w", start=(start_nothing, ()))
    assert (spec.restart, spec.type) == ("permanent", "worker")


def test_a_bare_start_function_means_no_arguments():
    assert ChildSpec(id="w", start=start_nothing).start == (start_nothing, ())


def test_a_class_is_asked_for_its_child_spec_with_its_own_default_argument():
    assert child_spec(Worker).start == (Worker.start_link, ("default",))


def test_a_class_and_argument_pair_passes_the_argument():
    assert child_spec((Worker, 42)).start == (Worker.start_link, (42,))


def test_a_dict_becomes_a_child_spec():
    spec = child_spec({"id": "d", "start": (start_nothing, (1, 2)), "shutdown": "brutal_kill"})
    assert spec == ChildSpec(id="d", start=(start_nothing, (1, 2)), shutdown="brutal_kill")


def test_a_class_may_return_its_child_spec_as_a_dict():
    assert child_spec(DictSpecWorker).restart == "transient"


def test_overrides_replace_fields_like_supervisor_child_spec():
    spec = child_spec(Worker, id="second", restart="temporary")
    assert (spec.id, spec.restart, spec.start[0]) == ("second", "temporary", Worker.start_link)


def test_modules_defaults_to_the_class_whose_function_starts_the_child():
    assert child_spec(Worker).modules == (Worker,)


async def test_start_child_prepends_extra_arguments():
    seen = []

    async def start(*args):
        seen.append(args)

    await ChildSpec(id="w", start=(start, ("spec",))).start_child("extra")
    assert seen == [("extra", "spec")]


@pytest.mark.parametrize(
    ("child", "problem"),
    [
        ({"start": start_nothing}, "missing required keys"),
        ({"id": 1, "start": start_nothing, "restart_type": "x"}, "unknown keys"),
        ({"id": 1, "start": start_nothing, "restart": "sometimes"}, "restart must be"),
        ({"id": 1, "start": start_nothing, "type": "manager"}, "type must be"),
        ({"id": 1, "start": start_nothing, "shutdown": -1}, "shutdown must be"),
        ({"id": 1, "start": "not callable"}, "start must be"),
        (42, "expected a ChildSpec"),
        (int, "has no child_spec"),
    ],
)
def test_malformed_children_are_rejected_with_the_reason(child, problem):
    with pytest.raises(InvalidChildSpecError, match=problem):
        child_spec(child)


async def test_a_plain_start_function_returning_the_pid_is_accepted():
    def start(arg):
        return ("pid-of", arg)

    assert await ChildSpec(id="w", start=(start, (1,))).start_child() == ("pid-of", 1)
