"""build_services: every service and background loop of the process, built from settings."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ParamSpec

import httpx

from runtime.affinity import GroupService
from runtime.api.system import VersionOut, identity
from runtime.background import Loop
from runtime.chainstore import ChainService
from runtime.config import Settings
from runtime.db import Database
from runtime.downloads import DownloadService
from runtime.downloads.progress import ProgressHub
from runtime.downloads.worker import DownloadLoop, DownloadWorker, PullPolicy
from runtime.eventstore import EventBus, EventService, IngestService
from runtime.eventstore.batch import Follower
from runtime.eventstore.notify import Broadcast, Listener, asyncpg_dsn
from runtime.execution import ChatGateway
from runtime.execution.chains import ChainChat, ChainRunner
from runtime.execution.embedder import GatewayEmbedder
from runtime.execution.knowledge import KnowledgeRetrieval
from runtime.execution.llm import GatewayLlm
from runtime.execution.ollama import OllamaGateway
from runtime.execution.tasks import TaskService
from runtime.execution.tools import HookTools
from runtime.functions import (
    Builtins,
    Deliveries,
    Dispatcher,
    DispatchLoop,
    FunctionService,
    RunPolicy,
)
from runtime.hooks import HookService
from runtime.jobs import JobService
from runtime.knowledge import FileService
from runtime.knowledge.index.keeper import IndexKeeper
from runtime.knowledge.indexer import Indexer, IndexLoop, IndexPolicy
from runtime.knowledge.pipeline import IndexPipeline
from runtime.knowledge.search import SearchService
from runtime.providerconfig import ProviderService, SecretBox
from runtime.providers import DriverSettings
from runtime.providers.outbound import OutboundPolicy
from runtime.providers.transport import LeanTransport
from runtime.registry import BackendService, ModelService
from runtime.routing import Health, Resolver
from runtime.sandbox import Limits, Sandbox
from runtime.state import SnapshotHolder
from runtime.state.drivers import Drivers
from runtime.state.loop import ReconcileLoop
from runtime.state.observe import Observer
from runtime.state.refresh import Refresher
from runtime.taskengine.executor import Executor

P = ParamSpec("P")


@dataclass(frozen=True)
class Services:
    """The services the API uses; each attribute name is a dependency name in handlers."""

    backends: BackendService
    models: ModelService
    groups: GroupService
    providers: ProviderService
    downloads: DownloadService
    snapshot: SnapshotHolder
    chat: ChatGateway
    ollama: OllamaGateway
    tasks: TaskService
    events: EventService
    ingest: IngestService
    functions: FunctionService
    chains: ChainService
    chain_runner: ChainRunner
    chain_chat: ChainChat
    hooks: HookService
    files: FileService
    jobs: JobService
    search: SearchService
    index: IndexPipeline
    identity: VersionOut


def outbound_policy(settings: Settings) -> OutboundPolicy:
    """The outbound URL policy the settings describe (save-time and connect-time checks)."""
    return OutboundPolicy(
        deny_private=settings.outbound_deny_private, allow_hosts=settings.outbound_allow_hosts
    )


def build_services(
    settings: Settings,
    db: Database,
    http: httpx.AsyncClient,
    *,
    direct: LeanTransport | None = None,
) -> tuple[Services, dict[str, Loop]]:
    """Every service, and the loops `Background` runs, wired to each other."""

    def changed() -> None:  # late-bound: the reconcile loop and refresher are built below
        refresher.forget()
        reconcile.trigger()

    secrets = SecretBox(settings.secret_key)
    providers = ProviderService(db, secrets=secrets, max_rows=settings.max_rows, on_change=changed)
    drivers = Drivers(
        http,
        DriverSettings(
            timeout=settings.provider_timeout,
            pull_stall=settings.pull_stall_timeout,
            direct=direct,
        ),
        providers,
    )
    hub = ProgressHub()
    snapshot = SnapshotHolder()
    observer = Observer(drivers, timeout=settings.provider_timeout)
    refresher = Refresher(db, observer, snapshot)

    async def pulled(backend_id: str, done: bool) -> None:  # noqa: FBT001
        if done:
            await refresher.backend(backend_id)
        changed()

    workers = [
        DownloadWorker(
            db,
            drivers,
            hub,
            policy=PullPolicy(lease=settings.pull_lease, backoff=settings.pull_backoff),
            on_done=pulled,
        )
        for _ in range(settings.pull_workers)
    ]
    pull_loops = [DownloadLoop(worker, poll=settings.reconcile_interval) for worker in workers]
    downloads = DownloadService(
        db,
        hub,
        abort=_each(worker.abort for worker in workers),
        on_enqueue=_each(loop.wake for loop in pull_loops),
        retry_after=settings.pull_retry_after,
    )
    reconcile = ReconcileLoop(
        db,
        observer,
        snapshot,
        downloads.enqueue,
        interval=settings.reconcile_interval,
        prune=settings.prune_models,
    )
    resolver = Resolver(
        snapshot,
        Health(),
        random.Random(),  # noqa: S311 - load spreading
        recheck=refresher.model,
    )
    gateway = ChatGateway(resolver, drivers)
    deliveries = Deliveries(max_depth=settings.trigger_depth, clock=lambda: datetime.now(UTC))
    bus = EventBus()
    node = uuid.uuid4().hex[:8]
    followers: list[Follower] = [deliveries]
    if not db.is_sqlite:
        followers.append(Broadcast(node))
    events = EventService(db, bus, followers=followers)
    tasks = TaskService(gateway, task_model=settings.task_model, embed_model=settings.embed_model)
    policy = outbound_policy(settings)
    hooks = HookService(
        db, http, max_rows=settings.max_rows, schema_ttl=settings.hook_schema_ttl, policy=policy
    )
    knowledge = _knowledge(settings, db, gateway, node)
    chains, runner = _chains(settings, db, gateway, hooks, knowledge.search)
    builtins = Builtins(events, tasks, runner)
    functions, function_loops = _functions(settings, db, deliveries, builtins, node)
    services = Services(
        backends=BackendService(db, max_rows=settings.max_rows, on_change=changed, policy=policy),
        models=ModelService(
            db,
            max_rows=settings.max_rows,
            immutable=frozenset({settings.embed_model.model} if settings.embed_model else ()),
            on_change=changed,
            purge=downloads.remove_model,
        ),
        groups=GroupService(db, max_rows=settings.max_rows, on_change=changed),
        providers=providers,
        downloads=downloads,
        snapshot=snapshot,
        chat=gateway,
        ollama=OllamaGateway(gateway),
        tasks=tasks,
        events=events,
        ingest=IngestService(db, events),
        functions=functions,
        hooks=hooks,
        chains=chains,
        chain_runner=runner,
        chain_chat=ChainChat(runner),
        files=knowledge.files,
        jobs=JobService(db, retry_in=settings.job_retry),
        search=knowledge.search,
        index=knowledge.pipeline,
        identity=identity(node, settings.tenancy),
    )
    loops: dict[str, Loop] = {"reconcile": reconcile}
    loops |= {f"download-{n}": loop for n, loop in enumerate(pull_loops)}
    if not db.is_sqlite:
        loops["events-listen"] = Listener(
            asyncpg_dsn(db.url), node, bus, fetch=events.by_nid, on_event=deliveries.wake
        )
    return services, loops | function_loops | knowledge.loops


@dataclass(frozen=True)
class _Knowledge:
    files: FileService
    search: SearchService
    pipeline: IndexPipeline
    loops: dict[str, Loop]


def _knowledge(settings: Settings, db: Database, gateway: ChatGateway, node: str) -> _Knowledge:
    """Files, the index kept current in this process, the built-in indexer, search."""
    keeper = IndexKeeper(db, node, dsn=None if db.is_sqlite else asyncpg_dsn(db.url))
    embedder = GatewayEmbedder(gateway, settings.embed_model)
    pipeline = IndexPipeline(db, embedder, keeper)
    policy = IndexPolicy(lease=settings.index_lease, retry_in=settings.job_retry)
    indexers = [
        IndexLoop(
            Indexer(db, pipeline, leaser_id=f"{node}-indexer-{n}", policy=policy),
            poll=min(settings.reconcile_interval, 5.0),
        )
        for n in range(settings.index_workers)
    ]
    files = FileService(
        db,
        upload_limit=settings.upload_limit,
        index_attempts=settings.index_attempts,
        node=node,
        on_removed=keeper.removed,
        on_stored=_each(loop.wake for loop in indexers),
    )
    loops: dict[str, Loop] = {"knowledge-index": keeper}
    loops |= {f"indexer-{n}": loop for n, loop in enumerate(indexers)}
    return _Knowledge(files, SearchService(db, embedder, keeper), pipeline, loops)


def _chains(
    settings: Settings,
    db: Database,
    gateway: ChatGateway,
    hooks: HookService,
    search: SearchService,
) -> tuple[ChainService, ChainRunner]:
    """Stored chains and the executor that runs them through our gateway and hooks."""
    llm = GatewayLlm(
        gateway,
        chat_model=settings.chat_model,
        task_model=settings.task_model,
        embed_model=settings.embed_model,
    )
    executor = Executor(
        llm,
        HookTools(hooks),
        max_steps=settings.chain_step_limit,
        knowledge=KnowledgeRetrieval(search),
    )
    chains = ChainService(db)
    return chains, ChainRunner(executor, chains)


def _functions(
    settings: Settings, db: Database, deliveries: Deliveries, builtins: Builtins, node: str
) -> tuple[FunctionService, dict[str, Loop]]:
    """The function service and one dispatch loop per configured worker."""
    limits = Limits(
        timeout=settings.function_timeout,
        memory=settings.function_memory_mb << 20,
        worker_memory=settings.function_worker_memory_mb << 20,
    )
    # at least one process per dispatch worker: a run never waits for a process past its lease
    processes = max(settings.function_processes, settings.function_workers)
    sandbox = Sandbox(limits, processes=processes, environment=settings.sandbox_environment)
    policy = RunPolicy(
        attempts=settings.function_attempts,
        backoff=settings.function_backoff,
        runs_kept=settings.function_runs_kept,
    )
    loops: dict[str, Loop] = {}
    for n in range(settings.function_workers):
        dispatcher = Dispatcher(db, sandbox, builtins, policy, owner=f"{node}-{n}")
        loops[f"functions-{n}"] = DispatchLoop(
            dispatcher, deliveries.waker(), poll=min(1.0, settings.function_backoff)
        )
    return FunctionService(db, sandbox, wake=deliveries.wake), loops


def _each(callbacks: Iterable[Callable[P, None]]) -> Callable[P, None]:
    """One callback that calls all of them with the same arguments."""
    every = list(callbacks)

    def call(*args: P.args, **kwargs: P.kwargs) -> None:
        for callback in every:
            callback(*args, **kwargs)

    return call
