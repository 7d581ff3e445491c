import asyncio

import page_views


async def test_count_of_an_unvisited_page_is_zero():
    await page_views.start_link()
    assert await page_views.count("/never") == 0


async def test_visit_counts_pages_separately():
    await page_views.start_link()
    await page_views.visit("/a")
    await page_views.visit("/b")
    assert [await page_views.count("/a"), await page_views.count("/b")] == [1, 1]


async def test_concurrent_visits_on_many_pages_are_all_counted():
    await page_views.start_link()
    pages = [f"/p{i % 5}" for i in range(100)]
    await asyncio.gather(*(page_views.visit(page) for page in pages))
    assert [await page_views.count(f"/p{i}") for i in range(5)] == [20] * 5


async def test_reset_of_an_unvisited_page_returns_zero():
    await page_views.start_link()
    assert await page_views.reset("/nothing") == 0


async def test_top_ranks_by_count_then_name():
    await page_views.start_link()
    for page, times in [("/b", 2), ("/a", 2), ("/c", 3), ("/d", 1)]:
        for _ in range(times):
            await page_views.visit(page)
    assert await page_views.top(3) == [("/c", 3), ("/a", 2), ("/b", 2)]
