"""The ``ccokit`` command: serve, migrate, run workers, and administer tenants and plugins.

Configuration comes from ``CCOKIT_*`` variables and is validated before anything starts; a wrong
value stops the command with one line naming the variable (exit status 2).
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, NoReturn

import click

from ccokit.platform.config import ConfigError, Settings, load_settings
from ccokit.platform.request_ids import RequestContextFilter

__all__ = ["main"]

LOG_FORMAT = (
    "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s tenant=%(tenant_id)s job=%(job_id)s] %(message)s"
)


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"ccokit: {message}", err=True)
    sys.exit(code)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        _fail(f"configuration error: {exc}")


def _configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


@click.group()
def cli() -> None:
    """ccokit, the customer-service middle platform."""


@cli.command()
def migrate() -> None:
    """Apply every migration (tenancy, platform, plugins), then row-level security."""
    from ccokit.platform.migrate import migrate as run_migrations

    settings = _settings()
    _configure_logging(settings.log_level)
    run_migrations(settings)
    click.echo("ccokit: database is up to date")


@cli.command()
@click.option("--host", default=None, help="Address to bind (default CCOKIT_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default CCOKIT_PORT or 8000).")
@click.option("--workers", type=int, default=None, help="gunicorn worker processes.")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the web app with gunicorn.

    On the embedded default (SQLite) the database is migrated first, so one command starts a
    working platform.
    """
    from gunicorn.app.base import BaseApplication

    from ccokit.platform.app import create_app

    settings = _settings()
    _configure_logging(settings.log_level)
    if settings.database_url.startswith("sqlite"):
        from ccokit.platform.migrate import migrate as run_migrations

        run_migrations(settings)
    options = gunicorn_options(settings, host, port, workers)

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return create_app(settings)

    click.echo(f"ccokit: serving on http://{options['bind']}")
    _Server().run()


def gunicorn_options(settings: Settings, host: str | None = None, port: int | None = None,
                     workers: int | None = None) -> dict[str, Any]:
    """How ``ccokit serve`` runs gunicorn: threaded workers, and each worker's start-up heap
    frozen before it serves (plus, on the embedded default, its own event relay)."""
    return {
        "bind": f"{host or settings.host}:{port or settings.port}",
        "workers": workers or settings.web_workers,
        "threads": settings.web_threads,
        "worker_class": "gthread",
        "accesslog": "-",
        "timeout": 30,
        "graceful_timeout": 20,
        "forwarded_allow_ips": "*" if settings.trusted_proxies else "127.0.0.1",
        # The embedded default has no workers: each web process relays and delivers events itself.
        "post_worker_init": _worker_ready if settings.redis_url else _worker_ready_embedded,
    }


def _worker_ready(worker: Any) -> None:
    """A web process has built its app and is about to serve: its start-up heap leaves the
    garbage collector's full collections (see ``start_up_heap``)."""
    from ccokit.platform import start_up_heap

    start_up_heap.freeze()


def _worker_ready_embedded(worker: Any) -> None:
    from ccokit.platform.events.relay import EmbeddedRelay
    from ccokit.platform.kernel import current_kernel

    _worker_ready(worker)
    EmbeddedRelay(current_kernel(worker.wsgi)).start()


def _redis(settings: Settings) -> Any:
    if not settings.redis_url:
        _fail("CCOKIT_REDIS_URL: required for `ccokit worker` and `ccokit relay`")
    from redis import Redis

    return Redis.from_url(settings.redis_url)


@cli.command()
@click.option("--queue", "queues", multiple=True, default=["events", "webhooks", "default"],
              show_default=True)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--fork/--no-fork", default=False, show_default=True,
              help="Fork a child per job (rq's Worker) instead of running jobs in this process.")
@click.option("--heartbeat-file", type=click.Path(dir_okay=False), default=None,
              help="Touch this file while making progress, for `ccokit probe --heartbeat-file`.")
def worker(queues: tuple[str, ...], burst: bool, fork: bool, heartbeat_file: str | None) -> None:
    """Run an rq worker on the given queues: event deliveries, jobs and webhook sends.

    By default jobs run in the worker process itself (rq's SimpleWorker): a job re-enters the
    tenant from ids and the app is built once per process, so a fork per job would cost more
    than most jobs. Nothing is lost when a worker dies mid-job: the outbox hands the event out
    again.
    """
    from rq import Queue, SimpleWorker, Worker

    settings = _settings()
    _configure_logging(settings.log_level)
    connection = _redis(settings)
    worker_class = _beating_worker_class(Worker if fork else SimpleWorker, heartbeat_file)
    worker_class([Queue(q, connection=connection) for q in queues], connection=connection).work(
        burst=burst, with_scheduler=True
    )


def _beating_worker_class(base: type[Any], heartbeat_file: str | None) -> type[Any]:
    """``base`` whose rq heartbeats also touch ``heartbeat_file``.

    An idle rq worker waits on Redis for ``worker_ttl - 15`` seconds (405 by default) between
    heartbeats; with a heartbeat file it waits at most 30, so a probe can tell an idle worker
    from a stuck one within a minute of its last job ending.
    """
    if not heartbeat_file:
        return base
    from ccokit.platform.heartbeat import Heartbeat

    beat = Heartbeat(heartbeat_file, interval=0)

    class _BeatingWorker(base):  # type: ignore[misc, valid-type]
        @property
        def dequeue_timeout(self) -> int:
            return min(30, int(super().dequeue_timeout))

        def heartbeat(self, *args: Any, **kwargs: Any) -> Any:
            result = super().heartbeat(*args, **kwargs)
            beat.beat()
            return result

    _BeatingWorker.__name__ = base.__name__
    return _BeatingWorker


@cli.command()
@click.option("--batch", default=500, show_default=True, help="Events claimed per round.")
@click.option("--poll", default=0.2, show_default=True, help="Seconds to wait when nothing is due.")
@click.option("--once", is_flag=True, help="Run one round and exit.")
@click.option("--heartbeat-file", type=click.Path(dir_okay=False), default=None,
              help="Touch this file while making progress, for `ccokit probe --heartbeat-file`.")
def relay(batch: int, poll: float, once: bool, heartbeat_file: str | None) -> None:
    """Hand committed events from the outbox to the workers, and again if they were lost."""
    import time

    from ccokit.platform.events.relay import enqueue_with_rq, relay_once
    from ccokit.platform.heartbeat import Heartbeat
    from ccokit.platform.webhooks.relay import enqueue_with_rq as enqueue_webhooks
    from ccokit.platform.webhooks.relay import relay_webhooks_once

    settings = _settings()
    _configure_logging(settings.log_level)
    _redis(settings)
    kernel = _kernel()
    heartbeat = Heartbeat(heartbeat_file)
    while True:
        moved = relay_once(kernel, enqueue_with_rq, batch)
        moved += relay_webhooks_once(kernel, enqueue_webhooks, batch)
        heartbeat.beat()
        if once:
            click.echo(f"ccokit: relayed {moved} events and webhook deliveries")
            return
        if not moved:
            time.sleep(poll)


@cli.command()
@click.option("--poll", default=5.0, show_default=True, help="Seconds between looks at the schedule.")
@click.option("--once", is_flag=True, help="Run one round and exit.")
@click.option("--heartbeat-file", type=click.Path(dir_okay=False), default=None,
              help="Touch this file while making progress, for `ccokit probe --heartbeat-file`.")
def scheduler(poll: float, once: bool, heartbeat_file: str | None) -> None:
    """Start the periodic jobs that are due, for every tenant that has their plugin enabled.

    Runs go into the outbox, and ``ccokit relay`` hands them to the workers. Running two
    schedulers is safe (each period runs once); one is enough.
    """
    import time

    from ccokit.platform.events.scheduler import run_due_schedules
    from ccokit.platform.heartbeat import Heartbeat

    settings = _settings()
    _configure_logging(settings.log_level)
    kernel = _kernel()
    heartbeat = Heartbeat(heartbeat_file)
    while True:
        written = run_due_schedules(kernel)
        heartbeat.beat()
        if once:
            click.echo(f"ccokit: started {written} periodic job runs")
            return
        time.sleep(poll)


@cli.command()
@click.option("--heartbeat-file", type=click.Path(dir_okay=False), default=None,
              help="Pass when this file was touched within --max-age seconds.")
@click.option("--max-age", type=click.FloatRange(min=1), default=120.0, show_default=True,
              help="Seconds a heartbeat stays fresh.")
@click.option("--url", default=None, help="Pass when a GET of this URL answers 2xx (e.g. .../readyz).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="Seconds to wait for --url.")
def probe(heartbeat_file: str | None, max_age: float, url: str | None, timeout: float) -> None:
    """Exit 0 when the process is alive (Kubernetes exec probes and `helm test`), 1 otherwise.

    Needs no configuration and touches neither database nor Redis, so it is cheap enough to run
    every few seconds: ``--heartbeat-file`` checks that a worker, relay or scheduler started with
    the same file is still making progress; ``--url`` checks a web pod's ``/healthz`` or
    ``/readyz`` from outside it.
    """
    if not heartbeat_file and not url:
        _fail("probe: give --heartbeat-file or --url")
    if heartbeat_file:
        from ccokit.platform.heartbeat import stale_reason

        reason = stale_reason(heartbeat_file, max_age)
        if reason:
            _fail(f"probe: {reason}", 1)
    if url:
        import urllib.error
        import urllib.request

        if not url.startswith(("http://", "https://")):
            _fail(f"probe: expected an http(s):// URL, got {url!r}")
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - scheme checked
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, ValueError) as exc:
            _fail(f"probe: {url}: {exc}", 1)
        if not 200 <= status < 300:
            _fail(f"probe: {url} answered {status}", 1)
    click.echo("ccokit: alive")


@cli.group()
def tenant() -> None:
    """Administer tenants (merchants)."""


def _kernel() -> Any:
    from ccokit.platform.app import create_app
    from ccokit.platform.kernel import current_kernel

    return current_kernel(create_app(_settings()))


def _tenant_by_slug(kernel: Any, slug: str) -> Any:
    from ccokit.tenants.registry import find_tenant_by_slug

    with kernel.db.transaction() as session:
        found = find_tenant_by_slug(session, slug)
    if found is None:
        _fail(f"no tenant with slug {slug!r}", 1)
    return found


@tenant.command("create")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--owner-email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--plan", default=None)
def tenant_create(slug: str, name: str, owner_email: str, password: str, plan: str | None) -> None:
    """Create a tenant as sign-up does; prints its API client credentials once."""
    import marshmallow as ma

    from ccokit.platform.api.schemas import SignupSchema
    from ccokit.platform.provisioning import provision_tenant
    from ccokit.tenants.errors import SlugTaken
    from ccokit.tenants.plans import PLANS

    if plan is not None and plan not in PLANS:
        _fail(f"unknown plan {plan!r}; expected one of {sorted(PLANS)}", 1)
    try:
        data = SignupSchema().load(
            {"slug": slug, "name": name, "owner_email": owner_email, "owner_password": password}
        )
    except ma.ValidationError as exc:
        _fail(f"invalid input: {json.dumps(exc.messages, ensure_ascii=False)}", 1)
    try:
        result = provision_tenant(_kernel(), plan=plan, **data)
    except SlugTaken:
        _fail(f"the slug {slug!r} is taken", 1)
    click.echo(json.dumps({
        "tenant_id": str(result.tenant.id), "slug": result.tenant.slug,
        "client_id": result.client_id, "client_secret": result.client_secret,
        "plugins": result.plugins,
    }, indent=2))


@tenant.command("list")
@click.option("--status", type=click.Choice(["active", "suspended", "deleted"]), default=None)
def tenant_list(status: str | None) -> None:
    """List tenants, one per line: slug, status, plan, name."""
    from sqlalchemy import select

    from ccokit.tenants.models import Tenant

    kernel = _kernel()
    with kernel.db.transaction() as session:
        stmt = select(Tenant).order_by(Tenant.slug)
        if status:
            stmt = stmt.where(Tenant.status == status)
        for t in session.scalars(stmt):
            click.echo(f"{t.slug}\t{t.status}\t{t.plan}\t{t.name}")


@tenant.command("suspend")
@click.argument("slug")
def tenant_suspend(slug: str) -> None:
    """Suspend a tenant: every API call of it answers 403."""
    from ccokit.platform.provisioning import set_tenant_status

    kernel = _kernel()
    set_tenant_status(kernel, _tenant_by_slug(kernel, slug).id, "suspended")
    click.echo(f"ccokit: {slug} suspended")


@tenant.command("resume")
@click.argument("slug")
def tenant_resume(slug: str) -> None:
    """Resume a suspended tenant."""
    from ccokit.platform.provisioning import set_tenant_status

    kernel = _kernel()
    set_tenant_status(kernel, _tenant_by_slug(kernel, slug).id, "active")
    click.echo(f"ccokit: {slug} active")


@tenant.command("delete")
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def tenant_delete(slug: str, yes: bool) -> None:
    """Delete a tenant with every row and blob it owns. Cannot be undone."""
    from ccokit.platform.provisioning import delete_tenant

    if not yes:
        click.confirm(f"Delete {slug} and all its data?", abort=True)
    kernel = _kernel()
    removed = delete_tenant(kernel, _tenant_by_slug(kernel, slug).id)
    click.echo(f"ccokit: {slug} deleted ({sum(removed.values())} rows and blobs)")


@cli.group()
def plugin() -> None:
    """Inspect installed plugins."""


@plugin.command("list")
def plugin_list() -> None:
    """List installed plugins: name, version, scopes."""
    from ccokit.platform.plugin_host import discover_plugins

    for p in discover_plugins():
        click.echo(f"{p.name}\t{p.version}\t{' '.join(s.name for s in p.scopes)}")


@plugin.command("new")
@click.argument("name")
@click.option("--dir", "directory", type=click.Path(), default=None,
              help="Where to create the distribution (default: ./ccokit-plugin-NAME).")
def plugin_new(name: str, directory: str | None) -> None:
    """Scaffold a plugin distribution that installs and passes its own tests."""
    from pathlib import Path

    from ccokit.platform.scaffold import ScaffoldError, render_plugin

    target = Path(directory or f"ccokit-plugin-{name.replace('_', '-')}")
    try:
        files = render_plugin(name, target)
    except ScaffoldError as exc:
        _fail(str(exc), 1)
    click.echo(f"ccokit: created {target} ({len(files)} files); next: pip install -e '{target}[test]'")


def main() -> None:
    cli(prog_name="ccokit")
