import apps


async def test_start_all_starts_dependencies_first():
    apps.set_port("8080")
    apps.take_journal()
    assert await apps.start_all() == ["metrics", "store", "web"]
    assert apps.take_journal() == ["store started", "web started"]


async def test_declares_web_port_from_the_environment():
    apps.set_port("8080")
    await apps.start_all()
    assert apps.Application.get_env("web", "port") == 8080


async def test_stop_all_stops_dependents_first():
    apps.set_port("8080")
    await apps.start_all()
    apps.take_journal()
    assert await apps.stop_all() == ["web", "store", "metrics"]
    assert apps.take_journal() == ["web stopped", "store stopped"]
