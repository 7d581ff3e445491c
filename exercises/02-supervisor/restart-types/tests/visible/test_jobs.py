import jobs


async def test_heartbeat_restarts_after_a_normal_finish():
    await jobs.start_jobs()
    await jobs.finish("heartbeat")
    assert (await jobs.status())["heartbeat"] == "running", "a permanent child always comes back"


async def test_importer_stays_stopped_after_a_normal_finish():
    await jobs.start_jobs()
    await jobs.finish("importer")
    assert (await jobs.status()).get("importer") == "stopped", (
        "a finished importer stays listed but is not restarted"
    )


async def test_report_is_forgotten_after_it_finishes():
    await jobs.start_jobs()
    await jobs.finish("report")
    assert "report" not in await jobs.status(), "a temporary child is removed when it exits"
