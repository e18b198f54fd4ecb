"""PATCH ``modules``: the complete new order; ids keep, no id creates, absent deletes."""

from __future__ import annotations

from courses_support import sample_course, topic_ids


async def _course(api):
    headers = await api.user()
    return headers, await api.create(headers, sample_course())


async def test_reorder_modules(api) -> None:
    headers, course = await _course(api)
    linear, trees = course["modules"]
    patched = await api.patch(
        headers, course["id"], {"modules": [{"id": trees["id"]}, {"id": linear["id"]}]}
    )
    assert [m["id"] for m in patched["modules"]] == [trees["id"], linear["id"]]
    assert [m["order"] for m in patched["modules"]] == [0, 1]
    assert patched["modules"][0]["topics"] == trees["topics"]  # topics kept as they were


async def test_reorder_rename_and_add_topics(api) -> None:
    headers, course = await _course(api)
    linear = course["modules"][0]
    arrays, lists = linear["topics"]
    body = {
        "modules": [
            {
                "id": linear["id"],
                "title": "Sequences",
                "topics": [
                    {"id": lists["id"], "title": "Linked lists"},
                    {"title": "Stacks", "estimated_minutes": 20},
                    {"id": arrays["id"], "estimated_minutes": None},
                ],
            },
            {"id": course["modules"][1]["id"]},
        ]
    }
    patched = await api.patch(headers, course["id"], body)
    module = patched["modules"][0]
    assert module["title"] == "Sequences"
    assert [(t["title"], t["order"], t["estimated_minutes"]) for t in module["topics"]] == [
        ("Linked lists", 0, None),
        ("Stacks", 1, 20),
        ("Arrays", 2, None),
    ]
    assert module["topics"][0]["id"] == lists["id"] and module["topics"][2]["id"] == arrays["id"]
    assert patched["modules"][1] == course["modules"][1]


async def test_removed_modules_and_topics_are_deleted(api) -> None:
    headers, course = await _course(api)
    linear = course["modules"][0]
    patched = await api.patch(
        headers,
        course["id"],
        {
            "modules": [
                {"id": linear["id"], "topics": [{"id": linear["topics"][1]["id"]}]},
                {"title": "Graphs", "topics": [{"title": "BFS"}, {"title": "DFS"}]},
            ]
        },
    )
    assert [m["title"] for m in patched["modules"]] == ["Linear structures", "Graphs"]
    assert [t["title"] for t in patched["modules"][0]["topics"]] == ["Lists"]
    assert [t["title"] for t in patched["modules"][1]["topics"]] == ["BFS", "DFS"]
    again = await api.get(headers, course["id"])
    assert again == patched
    empty = await api.patch(headers, course["id"], {"modules": []})
    assert empty["modules"] == []


async def test_moving_a_topic_keeps_its_tick(api) -> None:
    headers, course = await _course(api)
    linear, trees = course["modules"]
    moved = linear["topics"][0]
    await api.tick(headers, course["id"], moved["id"])
    patched = await api.patch(
        headers,
        course["id"],
        {
            "modules": [
                {"id": linear["id"]},
                {
                    "id": trees["id"],
                    "topics": [{"id": moved["id"]}, *({"id": t["id"]} for t in trees["topics"])],
                },
            ]
        },
    )
    linear_after, trees_after = patched["modules"]
    assert [t["id"] for t in linear_after["topics"]] == [linear["topics"][1]["id"]]
    assert linear_after["topics"][0]["order"] == 0
    assert trees_after["topics"][0]["id"] == moved["id"] and trees_after["topics"][0]["done"]
    assert patched["progress"] == 25


async def test_deleting_the_module_of_a_moved_topic_keeps_the_topic(api) -> None:
    headers, course = await _course(api)
    linear, trees = course["modules"]
    keep = linear["topics"][0]["id"]
    patched = await api.patch(
        headers, course["id"], {"modules": [{"id": trees["id"], "topics": [{"id": keep}]}]}
    )
    assert topic_ids(patched) == [keep]


async def test_ids_from_elsewhere_or_listed_twice_are_422(api) -> None:
    headers, course = await _course(api)
    other = await api.create(headers, sample_course("Other"))
    foreign_module = other["modules"][0]["id"]
    foreign_topic = other["modules"][0]["topics"][0]["id"]
    module = course["modules"][0]["id"]
    for body in (
        {"modules": [{"id": foreign_module}]},
        {"modules": [{"id": module, "topics": [{"id": foreign_topic}]}]},
        {"modules": [{"id": module}, {"id": module}]},
        {"modules": [{"id": module, "topics": [{"id": topic_ids(course)[0]}] * 2}]},
    ):
        error = await api.patch(headers, course["id"], body, status=422)
        assert error["code"] == "VALIDATION_ERROR" and error["detail"][0]["loc"][0] == "modules"
    assert await api.get(headers, course["id"]) == course
    assert await api.get(headers, other["id"]) == other


async def test_an_empty_patch_changes_nothing(api, events) -> None:
    headers, course = await _course(api)
    events.clear()
    same = await api.patch(headers, course["id"], {})
    unchanged = await api.patch(headers, course["id"], {"title": course["title"]})
    assert same == course == unchanged
    assert events.named("course.") == []
