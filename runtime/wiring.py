"""build_services: every service and background loop of the process, built from settings."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec

import httpx

from runtime.activity import Activity, Bounds
from runtime.activity.alerts import Rules
from runtime.activity.system import (
    Probes,
    SystemProbe,
    backend_states,
    in_flight,
    sandbox_state,
)
from runtime.affinity import GroupService
from runtime.api.system import VersionOut, identity
from runtime.background import Loop
from runtime.chainstore import ChainService
from runtime.chats import ChatService
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
from runtime.execution.observed import ChainWatch
from runtime.execution.ollama import OllamaGateway
from runtime.execution.tasks import TaskService
from runtime.execution.tools import HookTools
from runtime.frontends.telegram.poller import PollSettings, TelegramPoller
from runtime.frontends.telegram.service import FrontendService
from runtime.functions import (
    Builtins,
    Deliveries,
    Dispatcher,
    DispatchLoop,
    FunctionService,
    RunPolicy,
)
from runtime.hooks import HookService
from runtime.identity import KeyService, RateLimiter, UserService
from runtime.identity import Limits as RateLimits
from runtime.identity.acl import AccessService
from runtime.jobs import JobService
from runtime.knowledge import FileService
from runtime.knowledge.access import Visibility
from runtime.knowledge.index.keeper import IndexKeeper
from runtime.knowledge.indexer import Indexer, IndexLoop, IndexPolicy
from runtime.knowledge.pipeline import IndexPipeline
from runtime.knowledge.search import SearchService
from runtime.observability.ops import Operations
from runtime.providerconfig import ProviderService, SecretBox
from runtime.providers import DriverSettings
from runtime.providers.outbound import OutboundPolicy
from runtime.providers.transport import LeanTransport
from runtime.registry import BackendService, ModelService
from runtime.routing import Health, Resolver
from runtime.routing.reach import Confinement
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
    chats: ChatService
    telegram: FrontendService
    hooks: HookService
    files: FileService
    jobs: JobService
    search: SearchService
    index: IndexPipeline
    identity: VersionOut
    activity: Activity
    system: SystemProbe
    keys: KeyService
    users: UserService
    access: AccessService
    registration: bool
    limiter: RateLimiter
    confinement: Confinement


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
    pool_stats: Callable[[], dict[str, Any]] = dict,
) -> tuple[Services, dict[str, Loop]]:
    """Every service, and the loops `Background` runs, wired to each other."""

    def changed() -> None:  # late-bound: the reconcile loop and refresher are built below
        refresher.forget()
        reconcile.trigger()

    providers = ProviderService(
        db, secrets=SecretBox(settings.secret_key), max_rows=settings.max_rows, on_change=changed
    )
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
    observer = Observer(drivers, timeout=settings.provider_timeout, operations=Operations())
    operations = observer.operations
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
            operations=operations,
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
    groups, (confinement, resolver) = _routing(settings, db, snapshot, refresher, changed)
    gateway = ChatGateway(resolver, drivers)
    deliveries = Deliveries(max_depth=settings.trigger_depth, clock=lambda: datetime.now(UTC))
    bus = EventBus()
    node = uuid.uuid4().hex[:8]
    followers: list[Follower] = [deliveries] if db.is_sqlite else [deliveries, Broadcast(node)]
    events = EventService(db, bus, followers=followers)
    policy = outbound_policy(settings)
    hooks = HookService(
        db, http, max_rows=settings.max_rows, schema_ttl=settings.hook_schema_ttl, policy=policy
    )
    guarded = _identity(settings, db)  # its access entries also filter the knowledge base
    knowledge = _knowledge(settings, db, gateway, node, operations, guarded["access"])
    chains, runner = _chains(settings, db, gateway, hooks, knowledge.search)
    tasks = TaskService(gateway, task_model=settings.task_model, embed_model=settings.embed_model)
    builtins = Builtins(events, tasks, runner)
    functions, function_loops = _functions(settings, db, deliveries, builtins, node, operations)
    activity = _activity(settings, db, node, operations)
    chats, telegram, chat_loops = _conversations(
        settings, db, http, runner, node, knowledge.files, guarded["access"]
    )
    services = Services(
        backends=BackendService(db, max_rows=settings.max_rows, on_change=changed, policy=policy),
        models=ModelService(
            db,
            max_rows=settings.max_rows,
            immutable=frozenset({settings.embed_model.model} if settings.embed_model else ()),
            on_change=changed,
            purge=downloads.remove_model,
        ),
        groups=groups,
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
        chats=chats,
        telegram=telegram,
        files=knowledge.files,
        jobs=JobService(db, retry_in=settings.job_retry),
        search=knowledge.search,
        index=knowledge.pipeline,
        identity=identity(node, settings.tenancy),
        activity=activity,
        system=SystemProbe(
            db,
            Probes(
                backends=backend_states(snapshot, resolver.health),
                sandbox=sandbox_state(functions.sandbox),
                pools=lambda: {"backends": pool_stats()},
                unsaved=activity.unsaved,
                in_flight=in_flight(snapshot, resolver.health),
            ),
            multiprocess=settings.metrics_multiprocess,
        ),
        **guarded,
        registration=settings.self_registration,
        confinement=confinement,
    )
    loops: dict[str, Loop] = {
        "reconcile": reconcile,
        "activity": activity,
        "rate-limits": services.limiter,
        **{f"download-{n}": loop for n, loop in enumerate(pull_loops)},
    }
    if not db.is_sqlite:
        loops["events-listen"] = Listener(
            asyncpg_dsn(db.url), node, bus, fetch=events.by_nid, on_event=deliveries.wake
        )
    return services, loops | function_loops | chat_loops | knowledge.loops


def _activity(settings: Settings, db: Database, node: str, operations: Operations) -> Activity:
    bounds = Bounds(
        keep=settings.activity_keep,
        retention=settings.activity_retention_hours * 3600.0,
        rows=settings.activity_rows,
        interval=settings.activity_flush_interval,
        alerts=Rules(
            down_after=settings.alert_down_cycles,
            queue_limits={"pulls": 100, "deliveries": 1000},
        ),
    )
    return Activity(db, node, operations, bounds)


def _identity(settings: Settings, db: Database) -> dict[str, Any]:
    """API keys, users, the rate limiter they share, and access-control entries."""
    limiter = RateLimiter(db)
    users = UserService(
        db,
        limiter,
        signing_key=settings.token_secret,
        token_ttl=settings.token_ttl,
        login_rpm=settings.login_rpm,
        user_limits=RateLimits(rpm=settings.user_rpm or None, tpm=settings.user_tpm or None),
        max_rows=settings.max_rows,
    )
    keys = KeyService(db, max_rows=settings.max_rows)
    return {"keys": keys, "users": users, "limiter": limiter, "access": AccessService(db)}


def _routing(
    settings: Settings,
    db: Database,
    snapshot: SnapshotHolder,
    refresher: Refresher,
    changed: Callable[[], None],
) -> tuple[GroupService, tuple[Confinement, Resolver]]:
    """Groups, and the resolver confined to a group-limited caller's reach while it is served."""
    groups = GroupService(db, max_rows=settings.max_rows, on_change=changed)
    confinement = Confinement(groups.reach)
    resolver = Resolver(
        snapshot,
        Health(),
        random.Random(),  # noqa: S311 - load spreading
        recheck=refresher.model,
        confinement=confinement,
    )
    return groups, (confinement, resolver)


@dataclass(frozen=True)
class _Knowledge:
    files: FileService
    search: SearchService
    pipeline: IndexPipeline
    loops: dict[str, Loop]


def _knowledge(
    settings: Settings,
    db: Database,
    gateway: ChatGateway,
    node: str,
    operations: Operations,
    access: AccessService,
) -> _Knowledge:
    """Files, the index kept current in this process, the built-in indexer, search."""
    visibility = Visibility(db, access)
    keeper = IndexKeeper(db, node, dsn=None if db.is_sqlite else asyncpg_dsn(db.url))
    embedder = GatewayEmbedder(gateway, settings.embed_model)
    pipeline = IndexPipeline(db, embedder, keeper)
    policy = IndexPolicy(lease=settings.index_lease, retry_in=settings.job_retry)
    indexers = [
        IndexLoop(
            Indexer(
                db,
                pipeline,
                leaser_id=f"{node}-indexer-{n}",
                policy=policy,
                operations=operations,
            ),
            poll=min(settings.reconcile_interval, 5.0),
        )
        for n in range(settings.index_workers)
    ]
    files = FileService(
        db,
        visibility,
        upload_limit=settings.upload_limit,
        index_attempts=settings.index_attempts,
        node=node,
        on_removed=keeper.removed,
        on_stored=_each(loop.wake for loop in indexers),
    )
    loops: dict[str, Loop] = {"knowledge-index": keeper}
    loops |= {f"indexer-{n}": loop for n, loop in enumerate(indexers)}
    return _Knowledge(files, SearchService(db, embedder, keeper, visibility), pipeline, loops)


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
        watch=ChainWatch(),
        knowledge=KnowledgeRetrieval(search),
    )
    chains = ChainService(db)
    return chains, ChainRunner(executor, chains)


def _conversations(  # noqa: PLR0913, PLR0917 - what chats are built from
    settings: Settings,
    db: Database,
    http: httpx.AsyncClient,
    runner: ChainRunner,
    node: str,
    files: FileService,
    access: AccessService,
) -> tuple[ChatService, FrontendService, dict[str, Loop]]:
    """Chats, Telegram frontends and their poller.

    Turns are leased in this replica's name; Bot API calls use the shared client, so the
    outbound policy applies to them. `files` holds the folders chats are grounded in,
    `access` the entries that share chats.
    """
    default = settings.chat_model
    chains = runner.chains
    chats = ChatService(
        db,
        chains,
        ChainChat(runner),
        ModelService(db, max_rows=settings.max_rows, immutable=frozenset()),  # reads only
        files,
        access,
        default_model=(default.model, default.context_length) if default else ("", 2048),
        turn_lease=settings.chat_turn_lease,
        owner=node,
    )
    secrets = SecretBox(settings.secret_key)
    poll = PollSettings(
        base_url=settings.telegram_api_url,
        poll=settings.telegram_poll_timeout,
        lease=settings.telegram_lease,
        claim_every=settings.telegram_claim_interval,
        backoff=settings.telegram_backoff,
        request_timeout=max(settings.provider_timeout, 10.0),
    )
    poller = TelegramPoller(db, secrets, chats, http, poll, owner=node)
    telegram = FrontendService(db, secrets, chains, on_change=poller.wake)
    return chats, telegram, {"telegram": poller}


def _functions(
    settings: Settings,
    db: Database,
    deliveries: Deliveries,
    builtins: Builtins,
    node: str,
    operations: Operations,
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
        dispatcher = Dispatcher(
            db, sandbox, builtins, policy, owner=f"{node}-{n}", operations=operations
        )
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
