from otp import Agent

NAME = "page_views"


async def start_link():
    return await Agent.start_link(dict, name=NAME)


async def visit(page):
    def add_one(views):
        new = views.get(page, 0) + 1
        return new, {**views, page: new}  # (reply, new state): one step inside the agent

    return await Agent.get_and_update(NAME, add_one)


async def count(page):
    return await Agent.get(NAME, lambda views: views.get(page, 0))


async def reset(page):
    return await Agent.get_and_update(NAME, lambda views: (views.get(page, 0), {**views, page: 0}))


async def top(n):
    def ranked(views):
        return sorted(views.items(), key=lambda item: (-item[1], item[0]))[:n]

    return await Agent.get(NAME, ranked)
