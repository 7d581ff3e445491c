import pipeline


async def test_supervisor_is_registered_as_pipeline():
    pid = await pipeline.start_pipeline()
    assert repr(pipeline.otp.Process.whereis("pipeline")) == repr(pid), (
        "start_pipeline returns the supervisor registered as 'pipeline'"
    )


async def test_crash_of_api_restarts_only_api():
    await pipeline.start_pipeline()
    before = pipeline.pids()
    await pipeline.crash("api")
    after = pipeline.pids()
    assert [after[n] == before[n] for n in ("config", "db", "api")] == [True, True, False], (
        "nothing depends on api: only api restarts"
    )


async def test_crash_of_config_restarts_everything():
    await pipeline.start_pipeline()
    before = pipeline.pids()
    await pipeline.crash("config")
    after = pipeline.pids()
    assert all(after[n] != before[n] for n in ("config", "db", "api")), (
        "everything depends on config: all three restart"
    )
    assert "None" not in after.values(), "all three are running again"
