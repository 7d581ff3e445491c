import asyncio

import page_views


async def test_visit_returns_the_new_count():
    await page_views.start_link()
    assert await page_views.visit("/home") == 1
    assert await page_views.visit("/home") == 2
    assert await page_views.count("/home") == 2


async def test_concurrent_visits_are_all_counted():
    await page_views.start_link()
    await asyncio.gather(*(page_views.visit("/sale") for _ in range(100)))
    assert await page_views.count("/sale") == 100, "no visit may be lost"


async def test_reset_returns_the_previous_count():
    await page_views.start_link()
    await page_views.visit("/a")
    await page_views.visit("/a")
    assert await page_views.reset("/a") == 2
    assert await page_views.count("/a") == 0
