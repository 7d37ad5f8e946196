"""OpenAI's `/v1/embeddings` shapes: the request, and the answer in float or base64. Pure."""

from __future__ import annotations

import base64
import struct
from typing import Annotated, Literal

import msgspec

from runtime import errors
from runtime.wire import tokens


class EmbeddingsRequest(msgspec.Struct, kw_only=True):
    """`input` is a text or a list of texts (token arrays are refused: we do not tokenize)."""

    model: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    input: str | list[str | int | list[int]]
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: Annotated[int, msgspec.Meta(ge=1, le=65536)] | None = None
    user: str | None = None

    def texts(self) -> list[str]:
        """The texts to embed, in order; token arrays and empty input are the client's 400."""
        given = [self.input] if isinstance(self.input, str) else self.input
        if not given:
            raise errors.BadRequestError("input must not be empty", param="input")
        if not all(isinstance(text, str) for text in given):
            raise errors.BadRequestError(
                "input must be a text or a list of texts (token arrays are not supported)",
                param="input",
            )
        return [text for text in given if isinstance(text, str)]


class Embedding(msgspec.Struct, kw_only=True):
    """One vector of the answer: a list of floats, or base64 of little-endian float32s."""

    index: int
    embedding: list[float] | str
    object: str = "embedding"


class EmbeddingsUsage(msgspec.Struct, kw_only=True):
    """Tokens the texts held."""

    prompt_tokens: int = 0
    total_tokens: int = 0


class EmbeddingsResponse(msgspec.Struct, kw_only=True):
    """The `/v1/embeddings` answer."""

    data: list[Embedding]
    model: str
    usage: EmbeddingsUsage
    object: str = "list"


def _base64(vector: list[float]) -> str:
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode()


def response(
    request: EmbeddingsRequest, texts: list[str], vectors: list[list[float]], counted: int
) -> EmbeddingsResponse:
    """The answer; token counts are the backend's, or our estimate when it gave none."""
    encode = _base64 if request.encoding_format == "base64" else None
    data = [
        Embedding(index=i, embedding=encode(vector) if encode else vector)
        for i, vector in enumerate(vectors)
    ]
    used = counted or sum(tokens.estimate_text(text) for text in texts)
    return EmbeddingsResponse(
        data=data,
        model=request.model,
        usage=EmbeddingsUsage(prompt_tokens=used, total_tokens=used),
    )
