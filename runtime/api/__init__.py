"""The HTTP boundary: Litestar controllers, request and response Structs, error mapping."""

from runtime.api.access import AccessController, PermissionController
from runtime.api.activity import ActivityController
from runtime.api.affinity import BackendAffinityController, ModelAffinityController
from runtime.api.backends import BackendController
from runtime.api.chains import ChainController
from runtime.api.chats import ChatController
from runtime.api.downloads import QueueController
from runtime.api.events import EventController
from runtime.api.execute import ExecuteController
from runtime.api.files import FileController, FolderController
from runtime.api.functions import ExecutorController, FunctionController, TriggerController
from runtime.api.groups import GroupController, GroupLookupController
from runtime.api.hooks import HookController, SupportedController
from runtime.api.jobs import JobController, LeaseController
from runtime.api.keys import KeyController
from runtime.api.mappings import IngestController, MappingController
from runtime.api.models import ModelController
from runtime.api.ollama import OllamaController
from runtime.api.openai import OpenAIController
from runtime.api.providers import ProviderController
from runtime.api.search import SearchController
from runtime.api.sessions import SessionController
from runtime.api.state import StateController
from runtime.api.system import SystemController
from runtime.api.tasks import ChainChatController, TaskController
from runtime.api.telegram import TelegramController
from runtime.api.users import LoginController, UserController

CONTROLLERS = [
    AccessController,
    ActivityController,
    BackendAffinityController,
    BackendController,
    ChainChatController,
    ChainController,
    ChatController,
    EventController,
    ExecuteController,
    ExecutorController,
    FileController,
    FolderController,
    FunctionController,
    GroupLookupController,
    GroupController,
    HookController,
    IngestController,
    KeyController,
    LoginController,
    JobController,
    LeaseController,
    MappingController,
    ModelAffinityController,
    ModelController,
    OllamaController,
    OpenAIController,
    PermissionController,
    ProviderController,
    QueueController,
    SessionController,
    SearchController,
    StateController,
    SupportedController,
    SystemController,
    TaskController,
    TelegramController,
    TriggerController,
    UserController,
]

__all__ = ["CONTROLLERS"]
