"""/files and /folders: the knowledge base's virtual file system, uploads and downloads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import Stream

from runtime.api.base import ApiStruct, Name, literal
from runtime.api.upload import received
from runtime.knowledge import Entry, FileService, NodeKind

UPLOAD = {"multipart": True}  # route opt: `check_input` lets multipart bodies through


class FileOut(ApiStruct, omit_defaults=True):
    """A file or folder (`filesapi_FileResponse`), with our `kind`, metadata and indexing."""

    id: str
    name: str
    path: str
    kind: str
    created_at: datetime
    updated_at: datetime
    size: int = 0
    content_type: str = ""
    parent_id: str = ""
    metadata: dict[str, Any] | None = None
    index_state: str = ""
    chunk_count: int | None = None
    index_error: str | None = None

    @classmethod
    def from_domain(cls, entry: Entry) -> FileOut:
        node, indexing = entry.node, entry.indexing
        return cls(
            id=node.id,
            name=node.name,
            path=node.path,
            kind=node.kind.value,
            size=node.size,
            content_type=node.content_type,
            parent_id=node.parent_id or "",
            metadata=node.meta if node.kind is NodeKind.FILE else None,
            index_state=indexing.state.value if indexing else "",
            chunk_count=indexing.chunks if indexing else None,
            index_error=indexing.reason if indexing else None,
            created_at=node.created_at,
            updated_at=node.updated_at,
        )


class FolderOut(ApiStruct, omit_defaults=True):
    """A folder (`filesapi_FolderResponse`)."""

    id: str
    name: str
    path: str
    created_at: datetime
    updated_at: datetime
    parent_id: str = ""

    @classmethod
    def from_domain(cls, entry: Entry) -> FolderOut:
        node = entry.node
        return cls(
            id=node.id,
            name=node.name,
            path=node.path,
            parent_id=node.parent_id or "",
            created_at=node.created_at,
            updated_at=node.updated_at,
        )


class FolderCreate(ApiStruct):
    """`filesapi_folderCreateRequest`."""

    name: Name
    parent_id: Name | None = None


class MoveRequest(ApiStruct):
    """`filesapi_moveRequest`; an empty `newParentId` means the root."""

    new_parent_id: Name | None


class NameUpdate(ApiStruct):
    """`filesapi_nameUpdateRequest`."""

    name: Name


def disposition(name: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name in RFC 5987 form."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"\\%;' else "_" for c in name)  # noqa: PLR2004
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class FileController(Controller):
    """Files: upload, list, read, replace, download, move, rename, delete."""

    path = "/files"

    @get()
    async def list_files(
        self, files: NamedDependency[FileService], path: FromQuery[str | None] = None
    ) -> list[FileOut]:
        return [FileOut.from_domain(entry) for entry in await files.list(path)]

    @post(opt=UPLOAD, request_max_body_size=None)
    async def create_file(
        self, request: Request[Any, Any, Any], files: NamedDependency[FileService]
    ) -> FileOut:
        async with received(request, limit=files.upload_limit) as upload:
            return FileOut.from_domain(await files.create(upload))

    @get("/{file_id:str}")
    async def get_file(
        self, file_id: FromPath[str], files: NamedDependency[FileService]
    ) -> FileOut:
        return FileOut.from_domain(await files.get(file_id))

    @put("/{file_id:str}", opt=UPLOAD, request_max_body_size=None)
    async def replace_file(
        self,
        file_id: FromPath[str],
        request: Request[Any, Any, Any],
        files: NamedDependency[FileService],
    ) -> FileOut:
        async with received(request, limit=files.upload_limit) as upload:
            return FileOut.from_domain(await files.replace(file_id, upload))

    @get("/{file_id:str}/download")
    async def download_file(
        self,
        file_id: FromPath[str],
        files: NamedDependency[FileService],
        skip: FromQuery[str | None] = None,
    ) -> Stream:
        node, pieces = await files.download(file_id)
        headers = {
            "Content-Length": str(node.size),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        }
        if skip != "true":
            headers["Content-Disposition"] = disposition(node.name)
        return Stream(_bytes(pieces), media_type=node.content_type, headers=headers)

    @put("/{file_id:str}/move")
    async def move_file(
        self,
        file_id: FromPath[str],
        data: JSONBody[MoveRequest],
        files: NamedDependency[FileService],
    ) -> FileOut:
        return FileOut.from_domain(await files.move(file_id, data.new_parent_id, NodeKind.FILE))

    @put("/{file_id:str}/name")
    async def rename_file(
        self,
        file_id: FromPath[str],
        data: JSONBody[NameUpdate],
        files: NamedDependency[FileService],
    ) -> FileOut:
        return FileOut.from_domain(await files.rename(file_id, data.name, NodeKind.FILE))

    @delete("/{file_id:str}", status_code=200)
    async def delete_file(
        self, file_id: FromPath[str], files: NamedDependency[FileService]
    ) -> Response[bytes]:
        await files.delete(file_id, NodeKind.FILE)
        return literal("file removed")


class FolderController(Controller):
    """Folders: create, move, rename, delete with everything inside."""

    path = "/folders"

    @post()
    async def create_folder(
        self, data: JSONBody[FolderCreate], files: NamedDependency[FileService]
    ) -> FolderOut:
        return FolderOut.from_domain(await files.create_folder(data.name, data.parent_id))

    @put("/{folder_id:str}/move")
    async def move_folder(
        self,
        folder_id: FromPath[str],
        data: JSONBody[MoveRequest],
        files: NamedDependency[FileService],
    ) -> FolderOut:
        entry = await files.move(folder_id, data.new_parent_id, NodeKind.FOLDER)
        return FolderOut.from_domain(entry)

    @put("/{folder_id:str}/name")
    async def rename_folder(
        self,
        folder_id: FromPath[str],
        data: JSONBody[NameUpdate],
        files: NamedDependency[FileService],
    ) -> FolderOut:
        return FolderOut.from_domain(await files.rename(folder_id, data.name, NodeKind.FOLDER))

    @delete("/{folder_id:str}", status_code=200)
    async def delete_folder(
        self, folder_id: FromPath[str], files: NamedDependency[FileService]
    ) -> Response[bytes]:
        await files.delete(folder_id, NodeKind.FOLDER)
        return literal("folder removed")


async def _bytes(pieces: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for piece in pieces:
        yield piece
