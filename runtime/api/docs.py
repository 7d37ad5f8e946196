"""The API docs: `/schema` (Swagger UI, with its assets served from the package) and the document.

Swagger UI 5 (it renders OpenAPI 3.1, which Litestar emits) is vendored under
`runtime/api/static/swagger-ui`, so the page works offline and loads nothing from elsewhere.
Every renderer serves the document refined by `runtime.api.openapi`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin, YamlRenderPlugin
from litestar.static_files import create_static_files_router

from runtime import __version__
from runtime.api.openapi import Refined

SCHEMA_PATH = "/schema"
ASSETS_PATH = f"{SCHEMA_PATH}/static"
ASSETS_DIR = Path(__file__).parent / "static" / "swagger-ui"


class _Swagger(SwaggerRenderPlugin):
    def __init__(self, refined: Refined) -> None:
        super().__init__(
            path="/swagger",
            js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
            css_url=f"{ASSETS_PATH}/swagger-ui.css",
            standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
        )
        self._refined = refined

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, self._refined(openapi_schema))


class _Json(JsonRenderPlugin):
    def __init__(self, refined: Refined) -> None:
        super().__init__()
        self._refined = refined

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, self._refined(openapi_schema))


class _Yaml(YamlRenderPlugin):
    def __init__(self, refined: Refined) -> None:
        super().__init__()
        self._refined = refined

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, self._refined(openapi_schema))


def openapi_config(*, secured: bool) -> OpenAPIConfig:
    """The docs routes under `/schema`; `secured` when an API token is configured."""
    refined = Refined(secured=secured)
    return OpenAPIConfig(
        title="llm-runtime",
        version=__version__,
        path=SCHEMA_PATH,
        render_plugins=[_Swagger(refined), _Json(refined), _Yaml(refined)],
    )


def docs_assets() -> Router:
    """The Swagger UI files the docs page loads."""
    return create_static_files_router(
        path=ASSETS_PATH, directories=[ASSETS_DIR], include_in_schema=False, name="docs-assets"
    )
