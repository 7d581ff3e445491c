import pipeline


async def test_children_start_in_dependency_order():
    await pipeline.start_pipeline()
    assert await pipeline.order() == ["config", "db", "api"], "config, then db, then api"


async def test_crash_of_db_restarts_db_and_api_but_not_config():
    await pipeline.start_pipeline()
    before = pipeline.pids()
    await pipeline.crash("db")
    after = pipeline.pids()
    assert after["config"] == before["config"], "config does not depend on db: keep it running"
    assert after["db"] != before["db"], "db crashed: it must be restarted"
    assert after["api"] != before["api"], "api depends on db: restart it with db"
