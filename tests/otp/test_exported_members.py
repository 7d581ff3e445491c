"""The public surface of `otp`: everything in __all__ exists, and nothing public is missing."""

import otp


def test_every_name_in_all_is_importable_from_otp():
    missing = [name for name in otp.__all__ if not hasattr(otp, name)]
    assert missing == []


def test_all_has_no_duplicates():
    assert len(otp.__all__) == len(set(otp.__all__))


def test_every_public_class_or_function_defined_in_otp_is_listed_in_all():
    public = {
        name
        for name, value in vars(otp).items()
        if not name.startswith("_")
        and getattr(value, "__module__", "").startswith("otp")
        and (callable(value) or isinstance(value, type))
    }
    assert public - set(otp.__all__) == set()


def test_the_watchdog_installer_runs_at_import_but_is_not_part_of_otps_namespace():
    assert not hasattr(otp, "install_watchdog_from_env")
    assert callable(otp.blocking.install_watchdog_from_env)  # public where it lives


def test_the_process_layer_and_behaviours_are_exported():
    for name in (
        "spawn",
        "spawn_link",
        "spawn_monitor",
        "send",
        "receive",
        "self",
        "exit",
        "Process",
        "GenServer",
        "Agent",
        "Reply",
        "NoReply",
        "Ok",
        "Stop",
        "Ignore",
        "Continue",
        "ExitError",
        "NoProcError",
        "CallTimeoutError",
    ):
        assert name in otp.__all__


def _every_otp_error_class():
    found, todo = set(), [otp.OTPError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return {cls for cls in found if cls.__module__.startswith("otp")}


def test_every_otp_error_is_defined_in_the_one_exceptions_module():
    # importing otp imported every module of the runtime, so every subclass is known here
    assert {cls.__module__ for cls in _every_otp_error_class()} == {"otp._exceptions"}


def test_every_otp_error_is_exported_from_otp_and_drawn_in_the_tree():
    from otp import _exceptions

    tree = _exceptions.__doc__
    for cls in _every_otp_error_class():
        assert cls.__name__ in otp.__all__
        assert f" {cls.__name__}" in tree, f"{cls.__name__} missing from the tree drawing"
