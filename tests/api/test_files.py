"""/files and /folders: the virtual file system, streamed uploads and downloads, bad input."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from runtime.app import create_app
from runtime.config import Settings

Client = AsyncTestClient[Litestar]


async def upload(
    client: Client,
    name: str,
    content: bytes,
    content_type: str = "text/plain",
    **fields: Any,
) -> Any:
    data = {k: json.dumps(v) if k == "metadata" else v for k, v in fields.items()}
    files = {"file": (name, content, content_type)}
    return await client.post("/files", files=files, data=data)


async def folder(client: Client, name: str, parent: str | None = None) -> str:
    body = {"name": name} if parent is None else {"name": name, "parentId": parent}
    response = await client.post("/folders", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_an_uploaded_file_has_a_path_from_the_tree_and_downloads_as_sent(
    client: Client,
) -> None:
    docs = await folder(client, "documents")
    created = await upload(
        client, "report.txt", b"quarterly numbers", parentId=docs, metadata={"team": "x"}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["path"] == "/documents/report.txt"
    assert body["size"] == 17
    assert body["contentType"] == "text/plain"
    assert body["metadata"] == {"team": "x"}
    assert body["indexState"] == "pending"
    download = await client.get(f"/files/{body['id']}/download")
    assert download.content == b"quarterly numbers"
    assert download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-disposition"].startswith('attachment; filename="report.txt"')
    bare = await client.get(f"/files/{body['id']}/download", params={"skip": "true"})
    assert "content-disposition" not in bare.headers
    listed = (await client.get("/files", params={"path": "/documents"})).json()
    assert [entry["path"] for entry in listed] == ["/documents/report.txt"]


async def test_a_large_file_is_stored_in_pieces_and_comes_back_whole(client: Client) -> None:
    content = bytes(range(256)) * 8192  # 2 MiB: four pieces
    created = (await upload(client, "blob.bin", content, "application/octet-stream")).json()
    assert created["size"] == len(content)
    download = await client.get(f"/files/{created['id']}/download")
    assert download.content == content


async def test_a_file_name_with_quotes_and_unicode_gets_a_safe_disposition(client: Client) -> None:
    created = (await upload(client, 'bé"richt;.txt', b"x")).json()
    header = (await client.get(f"/files/{created['id']}/download")).headers["content-disposition"]
    assert header == (
        "attachment; filename=\"b__richt_.txt\"; filename*=UTF-8''b%C3%A9%22richt%3B.txt"
    )


async def test_replacing_content_keeps_the_id_and_path(client: Client) -> None:
    created = (await upload(client, "a.txt", b"old")).json()
    replaced = await client.put(
        f"/files/{created['id']}", files={"file": ("a.txt", b"newer", "text/plain")}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["size"] == 5
    assert (await client.get(f"/files/{created['id']}/download")).content == b"newer"


async def test_moving_a_folder_moves_the_paths_below_it(client: Client) -> None:
    a = await folder(client, "a")
    b = await folder(client, "b")
    inner = await folder(client, "inner", a)
    file_id = (await upload(client, "f.txt", b"x", parentId=inner)).json()["id"]
    moved = await client.put(f"/folders/{a}/move", json={"newParentId": b})
    assert moved.status_code == 200, moved.text
    assert moved.json()["path"] == "/b/a"
    assert (await client.get(f"/files/{file_id}")).json()["path"] == "/b/a/inner/f.txt"
    renamed = await client.put(f"/folders/{b}/name", json={"name": "c"})
    assert renamed.json()["path"] == "/c"
    assert (await client.get(f"/files/{file_id}")).json()["path"] == "/c/a/inner/f.txt"
    to_root = await client.put(f"/files/{file_id}/move", json={"newParentId": ""})
    assert to_root.json()["path"] == "/f.txt"


async def test_a_folder_cannot_move_into_itself_or_below_itself(client: Client) -> None:
    a = await folder(client, "a")
    inner = await folder(client, "inner", a)
    for target in (a, inner):
        response = await client.put(f"/folders/{a}/move", json={"newParentId": target})
        assert response.status_code == 422
        assert response.json()["error"]["param"] == "newParentId"
    assert (await client.get("/files", params={"path": "/a"})).json()[0]["path"] == "/a/inner"


async def test_a_move_or_rename_that_would_make_a_path_too_long_changes_nothing(
    client: Client,
) -> None:
    deep = await folder(client, "d" * 250)
    parent = deep
    for n in range(3):  # /ddd.../eee.../fff.../ggg...: 1004 characters
        parent = await folder(client, chr(ord("e") + n) * 250, parent)
    name = "f" * 11 + ".txt"  # its path: 1020 characters
    file_id = (await upload(client, name, b"x", parentId=parent)).json()["id"]
    path = (await client.get(f"/files/{file_id}")).json()["path"]
    long_name = await folder(client, "x" * 30)
    for change in (
        client.put(f"/folders/{deep}/move", json={"newParentId": long_name}),
        client.put(f"/folders/{deep}/name", json={"name": "d" * 255}),
    ):
        refused = await change
        assert refused.status_code == 422, refused.text
        assert "1024" in refused.json()["error"]["message"]
    assert (await client.get(f"/files/{file_id}")).json()["path"] == path


async def test_a_duplicate_name_in_a_folder_is_a_conflict(client: Client) -> None:
    await upload(client, "same.txt", b"1")
    again = await upload(client, "same.txt", b"2")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    clash = await client.post("/folders", json={"name": "same.txt"})
    assert clash.status_code == 409
    other = (await upload(client, "other.txt", b"3")).json()
    rename = await client.put(f"/files/{other['id']}/name", json={"name": "same.txt"})
    assert rename.status_code == 409
    assert len((await client.get("/files")).json()) == 2


@pytest.mark.parametrize("name", ["a/b", ".", "..", ""])
async def test_names_with_a_slash_or_dots_are_refused(client: Client, name: str) -> None:
    response = await client.post("/folders", json={"name": name})
    assert response.status_code == 422
    assert response.json()["error"]["param"] == "name"


async def test_deleting_a_folder_deletes_everything_in_it(client: Client) -> None:
    a = await folder(client, "a")
    inner = await folder(client, "inner", a)
    file_id = (await upload(client, "f.txt", b"x", parentId=inner)).json()["id"]
    assert (await client.delete(f"/folders/{a}")).status_code == 200
    assert (await client.get(f"/files/{file_id}")).status_code == 404
    assert (await client.get("/files")).json() == []
    assert (await client.get("/jobs/pending")).json() == []


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"", "text/plain"), (b"plain text, no pdf", "application/pdf")],
)
async def test_an_empty_file_or_a_false_pdf_is_refused_and_nothing_stored(
    client: Client, content: bytes, content_type: str
) -> None:
    response = await upload(client, "x.pdf", content, content_type)
    assert response.status_code == 422
    assert response.json()["error"]["param"] == "file"
    assert (await client.get("/files")).json() == []
    assert (await client.get("/jobs/pending")).json() == []


async def test_an_upload_without_a_file_field_is_a_bad_request(client: Client) -> None:
    response = await client.post("/files", files={"other": ("a.txt", b"x")})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "file"


async def test_bad_metadata_or_an_unknown_parent_is_refused(client: Client) -> None:
    files = {"file": ("a.txt", b"x", "text/plain")}
    bad = await client.post("/files", files=files, data={"metadata": "[1]"})
    assert bad.status_code == 422
    assert bad.json()["error"]["param"] == "metadata"
    orphan = await client.post("/files", files=files, data={"parentId": "nope"})
    assert orphan.status_code == 404
    assert (await client.get("/files")).json() == []


async def test_an_upload_over_the_limit_is_too_large_and_nothing_is_stored(
    settings: Settings,
) -> None:
    small = msgspec.structs.replace(settings, upload_limit=1024)
    async with AsyncTestClient(create_app(small)) as client:
        response = await upload(client, "big.txt", b"x" * 2048)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "request_too_large"
        assert (await client.get("/files")).json() == []
        fits = await upload(client, "fits.txt", b"x" * 1024)
        assert fits.status_code == 201


async def test_a_json_body_to_the_upload_route_is_an_unsupported_media_type(
    client: Client,
) -> None:
    response = await client.post("/files", json={"file": "x"})
    assert response.status_code == 415
