"""Property tests: any record or API payload either parses or raises the project's own error."""

import contextlib
import copy
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.errors import InvalidPost, MonitorError
from monitor.formats.canonical import record_to_post
from monitor.models import Post
from monitor.platforms.bluesky import post_view_to_post
from monitor.platforms.mastodon import status_to_post
from monitor.platforms.reddit import thing_to_post
from monitor.sources.base import Page, build_page
from monitor.sources.x import parse_page
from tests.conftest import recorded

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
timestamps = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "2025-11-20T14:03:00Z",
            "2025-11-20T14:03:00",
            "2025-11-20T14:03:00.5+05:30",
            "1999-01-01T00:00:00Z",
            "2999-01-01T00:00:00Z",
            "2025-13-40T99:99:99Z",
        ]
    ),
)
records = st.fixed_dictionaries(
    {},
    optional={
        "platform": st.one_of(st.text(max_size=12), values),
        "id": st.one_of(st.text(), values),
        "created_at": st.one_of(timestamps, values),
        "text": st.one_of(st.text(), values),
        "tags": st.one_of(st.lists(st.text(max_size=12), max_size=4), st.text(), values),
        "author": values,
        "url": values,
        "lang": values,
        "metrics": values,
    },
)


@settings(max_examples=200, deadline=None)
@given(st.one_of(records, values))
def test_any_record_becomes_a_post_or_an_invalid_post(record):
    try:
        post = record_to_post(record, tags=["fallback"])
    except InvalidPost:
        return
    assert isinstance(post, Post) and post.text.strip() and post.tags


def mutations(payload):
    """Strategies that damage one place of a JSON payload: delete a key, or swap a value."""
    paths = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, child in node.items():
                paths.append((*path, key))
                walk(child, (*path, key))
        elif isinstance(node, list):
            for index, child in enumerate(node[:3]):
                paths.append((*path, index))
                walk(child, (*path, index))

    walk(payload, ())

    def apply(path, replacement, delete):
        damaged = copy.deepcopy(payload)
        parent = damaged
        for step in path[:-1]:
            parent = parent[step]
        if delete and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = replacement
        return damaged

    return st.builds(apply, st.sampled_from(paths), values, st.booleans())


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_damaged_platform_payloads_never_raise_anything_but_our_errors(data):
    mastodon = recorded("mastodon", "tchncs_tag_ichbinhanna_limit5.json")[0]
    bluesky = recorded("bluesky", "searchPosts_q_redistricting_2023_httptest2_hitsTotal.json")[0]
    reddit = recorded("reddit", "goreddit_subreddit_search_posts_2results.json")[0]
    x_body = recorded("x", "search_recent_query_Tweepy_2021_ja_text.json")[0]

    def page_of(items, to_post):
        page = build_page(
            items if isinstance(items, list) else [items],
            to_post,
            lambda i: 0,
            lambda i: "item",
            None,
        )
        assert isinstance(page, Page)

    status = data.draw(mutations(mastodon[0]))
    page_of([status], lambda s: status_to_post(s, "t", "https://m.example"))
    view = data.draw(mutations(bluesky["posts"][5]))
    page_of([view], lambda v: post_view_to_post(v, "t"))
    thing = data.draw(mutations(reddit["data"]["children"][0]))
    page_of([thing], lambda t: thing_to_post(t, "t"))
    body = data.draw(mutations(x_body))
    with contextlib.suppress(MonitorError):
        parse_page(body, "t", "x search")
    json.dumps(status, default=str)  # the raw payload kept with a post stays serialisable
