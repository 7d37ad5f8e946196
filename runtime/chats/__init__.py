"""Chats: conversations with history, run turn by turn through a chain, with feedback."""

from runtime.chats.service import DEFAULT_CHAIN, ChatService
from runtime.chats.stream import TurnStream, open_stream
from runtime.chats.turn import Turn
from runtime.chats.types import Chat, Failure, Feedback, History, Message, Rating, Role, Status

__all__ = [
    "DEFAULT_CHAIN",
    "Chat",
    "ChatService",
    "Failure",
    "Feedback",
    "History",
    "Message",
    "Rating",
    "Role",
    "Status",
    "Turn",
    "TurnStream",
    "open_stream",
]
