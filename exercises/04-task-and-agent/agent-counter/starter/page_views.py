from otp import Agent

NAME = "page_views"


async def start_link():
    return await Agent.start_link(dict, name=NAME)


async def visit(page):
    # TODO: this loses visits when two calls interleave between the get and the update.
    n = await Agent.get(NAME, lambda views: views.get(page, 0))
    await Agent.update(NAME, lambda views: {**views, page: n + 1})
    return n + 1


async def count(page):
    return await Agent.get(NAME, lambda views: views.get(page, 0))


async def reset(page):
    # TODO: return the count the page had before the reset.
    return None


async def top(n):
    # TODO: the n most viewed pages as (page, count), most viewed first, ties alphabetical.
    return []
