"""Shared set-up for gateway tests: our server, fake backends, groups, and waiting for routes."""

from __future__ import annotations

from typing import Any

import httpx

from tests.waiting import eventually


async def declare_model(api: httpx.AsyncClient, group: str, model: str, **caps: Any) -> None:
    body = {"model": model, "contextLength": 8192, "canChat": True, "canStream": True} | caps
    assert (await api.post("/models", json=body)).status_code == 201
    assert (await api.post(f"/model-affinity/{group}/models/{model}")).status_code == 200


async def group(api: httpx.AsyncClient, name: str) -> str:
    return str((await api.post("/groups", json={"name": name})).json()["id"])


async def backend(api: httpx.AsyncClient, group_id: str, url: str, kind: str, name: str) -> str:
    created = await api.post("/backends", json={"name": name, "baseUrl": url, "type": kind})
    assert created.status_code == 201, created.text
    backend_id = str(created.json()["id"])
    assert (
        await api.post(f"/backend-affinity/{group_id}/backends/{backend_id}")
    ).status_code == 201
    return backend_id


async def routable(api: httpx.AsyncClient, backend_id: str, model: str) -> None:
    """Wait until the reconcile loop shows `model` as usable on the backend."""

    async def ready() -> bool:
        detail = (await api.get(f"/backends/{backend_id}")).json()
        return not detail.get("error") and any(
            p["name"].split(":")[0] == model.split(":", maxsplit=1)[0] and p["canChat"]
            for p in detail["pulledModels"]
        )

    await eventually(ready)


async def one_backend(
    api: httpx.AsyncClient, url: str, *, model: str = "m", name: str = "o", kind: str = "ollama"
) -> str:
    """A group `g` holding `model` and one backend at `url`, routable when this returns."""
    group_id = await group(api, "g")
    await declare_model(api, group_id, model)
    backend_id = await backend(api, group_id, url, kind, name)
    await routable(api, backend_id, model)
    return backend_id
