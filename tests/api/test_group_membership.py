"""/backend-affinity and /model-affinity through HTTP: membership of backends and models."""

from __future__ import annotations

from tests.api.test_groups import (
    Client,
    assert_error,
    create_backend,
    create_group,
    create_model,
    ids_at,
)


async def test_backend_is_assigned_listed_both_ways_and_removed(client: Client) -> None:
    group = await create_group(client, "small")
    backend = await create_backend(client)
    path = f"/backend-affinity/{group['id']}/backends/{backend['id']}"
    assigned = await client.post(path)
    assert assigned.status_code == 201
    assert assigned.json() == "backend assigned"
    listed = await client.get(f"/backend-affinity/{group['id']}/backends")
    assert listed.status_code == 200
    assert listed.json() == [backend]
    groups_of_backend = await client.get(f"/backend-affinity/{backend['id']}/groups")
    assert groups_of_backend.status_code == 200
    assert groups_of_backend.json() == [group]
    removed = await client.delete(path)
    assert removed.status_code == 200
    assert removed.json() == "backend removed"
    assert await ids_at(client, f"/backend-affinity/{group['id']}/backends") == []
    assert await ids_at(client, f"/backend-affinity/{backend['id']}/groups") == []
    again = await client.delete(path)
    assert again.status_code == 404
    assert_error(again.json(), "not_found")


async def test_backend_in_several_groups_lists_each(client: Client) -> None:
    group = await create_group(client, "small")
    backend = await create_backend(client)
    for group_id in (group["id"], "internal_chat_group"):
        response = await client.post(f"/backend-affinity/{group_id}/backends/{backend['id']}")
        assert response.status_code == 201
    listed = await ids_at(client, f"/backend-affinity/{backend['id']}/groups")
    assert sorted(listed) == sorted([group["id"], "internal_chat_group"])


async def test_assigning_a_backend_twice_is_a_conflict(client: Client) -> None:
    group = await create_group(client, "small")
    backend = await create_backend(client)
    path = f"/backend-affinity/{group['id']}/backends/{backend['id']}"
    assert (await client.post(path)).status_code == 201
    response = await client.post(path)
    assert response.status_code == 409
    assert_error(response.json(), "conflict")
    assert await ids_at(client, f"/backend-affinity/{group['id']}/backends") == [backend["id"]]


async def test_assigning_unknown_backend_or_group_is_a_conflict(client: Client) -> None:
    group = await create_group(client, "small")
    backend = await create_backend(client)
    for path in (
        f"/backend-affinity/{group['id']}/backends/no-such-backend",
        f"/backend-affinity/no-such-group/backends/{backend['id']}",
    ):
        response = await client.post(path)
        assert response.status_code == 409, path
        assert_error(response.json(), "conflict")
    assert await ids_at(client, f"/backend-affinity/{group['id']}/backends") == []
    assert await ids_at(client, f"/backend-affinity/{backend['id']}/groups") == []


async def test_unknown_group_has_no_backends_and_unknown_backend_no_groups(
    client: Client,
) -> None:
    assert await ids_at(client, "/backend-affinity/no-such-group/backends") == []
    assert await ids_at(client, "/backend-affinity/no-such-backend/groups") == []


async def test_deleting_a_backend_removes_its_memberships(client: Client) -> None:
    group = await create_group(client, "small")
    backend = await create_backend(client)
    assert (
        await client.post(f"/backend-affinity/{group['id']}/backends/{backend['id']}")
    ).status_code == 201
    assert (await client.delete(f"/backends/{backend['id']}")).status_code == 200
    assert await ids_at(client, f"/backend-affinity/{group['id']}/backends") == []
    assert await ids_at(client, f"/backend-affinity/{backend['id']}/groups") == []


async def test_deleting_a_group_removes_its_memberships(client: Client) -> None:
    group = await create_group(client, "small")
    backend = await create_backend(client)
    model = await create_model(client)
    assert (
        await client.post(f"/backend-affinity/{group['id']}/backends/{backend['id']}")
    ).status_code == 201
    assert (
        await client.post(f"/model-affinity/{group['id']}/models/{model['id']}")
    ).status_code == 200
    assert (await client.delete(f"/groups/{group['id']}")).status_code == 200
    assert await ids_at(client, f"/backend-affinity/{backend['id']}/groups") == []
    assert await ids_at(client, f"/model-affinity/{model['id']}/groups") == []
    assert await ids_at(client, f"/backend-affinity/{group['id']}/backends") == []
    assert await ids_at(client, f"/model-affinity/{group['id']}/models") == []
    assert (await client.get(f"/backends/{backend['id']}")).status_code == 200
    assert model["id"] in await ids_at(client, "/models")


# --- model membership -----------------------------------------------------------------------


async def test_model_is_assigned_listed_both_ways_and_removed(client: Client) -> None:
    group = await create_group(client, "small")
    model = await create_model(client)
    path = f"/model-affinity/{group['id']}/models/smollm2:135m"
    assigned = await client.post(path)
    assert assigned.status_code == 200
    assert assigned.json() == "model assigned"
    listed = await client.get(f"/model-affinity/{group['id']}/models")
    assert listed.status_code == 200
    assert listed.json() == [model]
    groups_of_model = await client.get("/model-affinity/smollm2:135m/groups")
    assert groups_of_model.status_code == 200
    assert groups_of_model.json() == [group]
    removed = await client.delete(path)
    assert removed.status_code == 200
    assert removed.json() == "model removed"
    assert await ids_at(client, f"/model-affinity/{group['id']}/models") == []
    assert await ids_at(client, "/model-affinity/smollm2:135m/groups") == []
    again = await client.delete(path)
    assert again.status_code == 404
    assert_error(again.json(), "not_found")


async def test_assigning_a_model_twice_is_a_conflict(client: Client) -> None:
    group = await create_group(client, "small")
    model = await create_model(client)
    path = f"/model-affinity/{group['id']}/models/{model['id']}"
    assert (await client.post(path)).status_code == 200
    response = await client.post(path)
    assert response.status_code == 409
    assert_error(response.json(), "conflict")
    assert await ids_at(client, f"/model-affinity/{group['id']}/models") == [model["id"]]


async def test_assigning_unknown_model_or_group_is_a_conflict(client: Client) -> None:
    group = await create_group(client, "small")
    model = await create_model(client)
    for path in (
        f"/model-affinity/{group['id']}/models/no-such-model",
        f"/model-affinity/no-such-group/models/{model['id']}",
    ):
        response = await client.post(path)
        assert response.status_code == 409, path
        assert_error(response.json(), "conflict")
    assert await ids_at(client, f"/model-affinity/{group['id']}/models") == []
    assert await ids_at(client, f"/model-affinity/{model['id']}/groups") == []


async def test_unknown_group_has_no_models_and_unknown_model_no_groups(client: Client) -> None:
    assert await ids_at(client, "/model-affinity/no-such-group/models") == []
    assert await ids_at(client, "/model-affinity/no-such-model/groups") == []


async def test_model_cannot_be_removed_from_the_embedding_group(client: Client) -> None:
    model = await create_model(client)
    path = f"/model-affinity/internal_embed_group/models/{model['id']}"
    assert (await client.post(path)).status_code == 200
    response = await client.delete(path)
    assert response.status_code == 403
    assert assert_error(response.json(), "forbidden") == "serverops: immutable group"
    assert await ids_at(client, "/model-affinity/internal_embed_group/models") == [model["id"]]


async def test_deleting_a_model_removes_its_memberships(client: Client) -> None:
    group = await create_group(client, "small")
    model = await create_model(client)
    assert (
        await client.post(f"/model-affinity/{group['id']}/models/{model['id']}")
    ).status_code == 200
    assert (await client.delete(f"/models/{model['model']}")).status_code == 200
    assert await ids_at(client, f"/model-affinity/{group['id']}/models") == []
    assert await ids_at(client, f"/model-affinity/{model['id']}/groups") == []
