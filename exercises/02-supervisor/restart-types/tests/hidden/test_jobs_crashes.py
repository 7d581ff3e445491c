import jobs


async def test_heartbeat_restarts_after_a_crash():
    await jobs.start_jobs()
    await jobs.fail("heartbeat")
    assert (await jobs.status())["heartbeat"] == "running", "a crashed heartbeat comes back"


async def test_importer_restarts_after_a_crash():
    await jobs.start_jobs()
    await jobs.fail("importer")
    assert (await jobs.status()).get("importer") == "running", "a crashed importer is retried"


async def test_report_is_not_restarted_after_a_crash():
    await jobs.start_jobs()
    await jobs.fail("report")
    assert "report" not in await jobs.status(), "a temporary child is never restarted"


async def test_report_leaves_the_others_running():
    await jobs.start_jobs()
    await jobs.fail("report")
    assert await jobs.status() == {"heartbeat": "running", "importer": "running"}, (
        "one child's exit does not touch its siblings"
    )
