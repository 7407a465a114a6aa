"""The command line: ``userpools serve``, ``userpools migrate``.

Every option can also be set through an environment variable ``USERPOOLS_<NAME>``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from userpools.config import ConfigError, Settings
from userpools.protocol.sigv4 import AdminCredentials


def _common(f):  # type: ignore[no-untyped-def]
    f = click.option("--data-dir", envvar="USERPOOLS_DATA_DIR", type=click.Path(path_type=Path),
                     default=Path(".userpools"), show_default=True,
                     help="Folder for the default SQLite database and the development data key.")(f)
    f = click.option("--database-url", envvar="USERPOOLS_DATABASE_URL", default=None,
                     help="sqlite:///path or postgresql://user@host:port/db (default: SQLite in --data-dir).")(f)
    return f


@click.group()
@click.version_option(package_name="userpools")
def main() -> None:
    """userpools: a self-hosted identity provider that speaks Amazon Cognito User Pools' own API."""


@main.command()
@click.option("--host", envvar="USERPOOLS_HOST", default="127.0.0.1", show_default=True,
              help="Address to bind. A non-loopback address requires --admin-credentials.")
@click.option("--port", envvar="USERPOOLS_PORT", type=int, default=9229, show_default=True)
@_common
@click.option("--region", envvar="USERPOOLS_REGION", default="us-east-1", show_default=True,
              help="Region in new pool ids and ARNs.")
@click.option("--account-id", envvar="USERPOOLS_ACCOUNT_ID", default="000000000000", show_default=True,
              help="Account id in ARNs.")
@click.option("--admin-credentials", envvar="USERPOOLS_ADMIN_CREDENTIALS", default=None,
              help="ACCESS_KEY_ID:SECRET_ACCESS_KEY (several separated by spaces): verify SigV4 signatures.")
@click.option("--data-key", envvar="USERPOOLS_DATA_KEY", default=None,
              help="Base64 of 32 bytes that encrypts secrets at rest (default: a key file in --data-dir).")
@click.option("--public-url", envvar="USERPOOLS_PUBLIC_URL", default=None,
              help="Base URL clients use to reach this server (token issuer, jwks_uri).")
@click.option("--aws-issuer/--no-aws-issuer", envvar="USERPOOLS_AWS_ISSUER", default=False, show_default=True,
              help="Sign tokens with AWS's issuer https://cognito-idp.<region>.amazonaws.com/<poolId>.")
@click.option("--config", "config_file", envvar="USERPOOLS_CONFIG",
              type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="TOML file: where each trigger's Lambda ARN goes, and the custom senders' keys.")
@click.option("--lambda-endpoint", envvar="USERPOOLS_LAMBDA_ENDPOINT", default=None,
              help="Lambda Invoke API endpoint (real Lambda, LocalStack, the runtime emulator) for every trigger "
                   "ARN the config file does not map.")
@click.option("--smtp-url", envvar="USERPOOLS_SMTP_URL", default=None,
              help="smtp://[user:password@]host:port[?starttls=true] or smtps://…: send email through this relay "
                   "(default: console/outbox only).")
@click.option("--sms-webhook", envvar="USERPOOLS_SMS_WEBHOOK", default=None,
              help="http(s) URL that receives each SMS as JSON (default: console/outbox only).")
@click.option("--recovery-attempts-per-hour", envvar="USERPOOLS_RECOVERY_ATTEMPTS_PER_HOUR", type=int, default=5,
              show_default=True, help="ForgotPassword + ConfirmForgotPassword attempts per user per hour.")
@click.option("--recovery-requests-per-second", envvar="USERPOOLS_RECOVERY_REQUESTS_PER_SECOND", type=int,
              default=30, show_default=True,
              help="The UserAccountRecovery category's rate, per second (0: unlimited); see --rate-limits.")
@click.option("--rate-limits", envvar="USERPOOLS_RATE_LIMITS", type=click.Choice(["on", "off"]), default=None,
              help="Enforce Cognito's request-rate categories per account and Region (TooManyRequestsException; "
                   "Get/UpdateProvisionedLimit change the rates). Default: on with --admin-credentials, off in "
                   "development mode.")
@click.option("--token-failures-per-minute", envvar="USERPOOLS_TOKEN_FAILURES_PER_MINUTE",
              type=click.IntRange(min=0), default=30, show_default=True,
              help="Failed /oauth2/token requests per pool and client address per minute before 429 (0: no limit).")
@click.option("--login-failures-per-minute", envvar="USERPOOLS_LOGIN_FAILURES_PER_MINUTE",
              type=click.IntRange(min=0), default=20, show_default=True,
              help="Failed hosted sign-ins per pool and client address per minute before 429 (0: no limit).")
@click.option("--keep-alive", "keep_alive", envvar="USERPOOLS_KEEP_ALIVE", type=click.FloatRange(min=0.1),
              default=5.0, show_default=True, help="Seconds an idle keep-alive connection stays open.")
@click.option("--signing-threads", envvar="USERPOOLS_SIGNING_THREADS", type=click.IntRange(min=0), default=0,
              show_default=True, help="Threads per process that sign tokens beside the event loop (0: on the loop); "
                                      "--signing-process is the better use of a spare CPU.")
@click.option("--signing-process/--no-signing-process", envvar="USERPOOLS_SIGNING_PROCESS", default=None,
              help="Sign tokens in a helper process beside the event loop, on a second CPU  [default: on with "
                   "one server process on a machine with more than one CPU and no --signing-threads]")
@click.option("--trusted-proxies", envvar="USERPOOLS_TRUSTED_PROXIES", default="",
              help="CIDR,... of reverse proxies whose X-Forwarded-For is believed (default: none).")
@click.option("--breached-passwords", envvar="USERPOOLS_BREACHED_PASSWORDS",
              type=click.Path(path_type=Path, dir_okay=False, exists=True), default=None,
              help="File of upper-case SHA-1 hashes (optionally HASH:count) of breached passwords, for threat "
                   "protection's compromised-credentials check.")
@click.option("--breached-passwords-url", envvar="USERPOOLS_BREACHED_PASSWORDS_URL", default=None,
              help="k-anonymity range service for breached passwords (like https://api.pwnedpasswords.com/range/).")
@click.option("--log-dir", envvar="USERPOOLS_LOG_DIR", type=click.Path(path_type=Path, file_okay=False),
              default=None, help="Where log delivery writes its JSON lines (default: --data-dir/logs).")
@click.option("--log-level", envvar="USERPOOLS_LOG_LEVEL", default="info", show_default=True)
@click.option("--access-log/--no-access-log", envvar="USERPOOLS_ACCESS_LOG", default=False, show_default=True,
              help="uvicorn's HTTP access log (method, path, status).")
@click.option("--shared-signing-key/--no-shared-signing-key", envvar="USERPOOLS_SHARED_SIGNING_KEY", default=False,
              show_default=True, help="Development: new pools sign with one key pair made once per process, so "
                                      "CreateUserPool is fast (test suites). Refused with --admin-credentials.")
@click.option("--request-log/--no-request-log", envvar="USERPOOLS_REQUEST_LOG", default=False, show_default=True,
              help="One line per API request: request id, operation, outcome, duration.")
@click.option("--log-format", envvar="USERPOOLS_LOG_FORMAT", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Log lines as text or as one JSON object per line.")
@click.option("--workers", envvar="USERPOOLS_WORKERS", type=click.IntRange(min=1), default=1, show_default=True,
              help="Server processes sharing the port and the store (PostgreSQL to scale out; SQLite works too). "
                   "Above 1, the development clock endpoint is refused.")
@click.option("--tls-cert", envvar="USERPOOLS_TLS_CERT", type=click.Path(path_type=Path), default=None,
              help="PEM certificate file (the server's certificate first, then intermediates): serve HTTPS. "
                   "Needs --tls-key.")
@click.option("--tls-key", envvar="USERPOOLS_TLS_KEY", type=click.Path(path_type=Path), default=None,
              help="The certificate's unencrypted PEM private key.")
@click.option("--tls-self-signed", envvar="USERPOOLS_TLS_SELF_SIGNED", is_flag=True, default=False,
              help="Development: serve HTTPS with a self-signed certificate made once in --data-dir/tls "
                   "(localhost, 127.0.0.1, ::1, *.auth.<region>.amazoncognito.com, --tls-name).")
@click.option("--tls-name", "tls_names", envvar="USERPOOLS_TLS_NAME", multiple=True,
              help="Another DNS name or IP address for the self-signed certificate (a custom domain); repeatable.")
@click.option("--cimd-allow-loopback", envvar="USERPOOLS_CIMD_ALLOW_LOOPBACK", is_flag=True, default=False,
              help="Development: fetch client ID metadata documents from loopback addresses too (off: refused "
                   "with every other private address).")
def serve(**options: Any) -> None:
    """Run the server."""
    from userpools.app import create_app

    settings = settings_from_options(options)
    workers = settings.workers
    smtp_url, sms_webhook = settings.smtp_url, settings.sms_webhook
    log_level, log_format, access_log = options["log_level"], settings.log_format, options["access_log"]
    try:
        settings.check()
    except ConfigError as exc:
        click.echo(f"userpools: {exc}", err=True)
        sys.exit(2)
    from userpools.delivery.senders import Delivery

    try:
        Delivery.from_settings(smtp_url, sms_webhook)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    from userpools import logs

    logs.configure(log_level, log_format)
    if settings.tls:
        from userpools import tls

        try:
            files = tls.prepare(settings)  # before any worker starts: each loads these files
        except ConfigError as exc:
            click.echo(f"userpools: {exc}", err=True)
            sys.exit(2)
        assert files is not None
        if settings.tls_self_signed:
            click.echo(tls.trust_hint(files.cert), err=True)
    try:
        app = create_app(settings)
    except ValueError as exc:  # a bad configuration file, data key, or sender URL
        click.echo(f"userpools: {exc}", err=True)
        sys.exit(2)
    from userpools.app import provision_pools
    from userpools.provisioning import PoolsConfigError

    try:  # pools as code: once, here, before uvicorn or the workers start (like the migrations)
        for change in provision_pools(settings):
            click.echo(f"userpools: {change}", err=True)
    except PoolsConfigError as exc:
        click.echo(f"userpools: {exc}", err=True)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - an unreachable or unusable store: say so and stop, as uvicorn would
        click.echo(f"userpools: cannot apply the pools of {settings.config_file}: {type(exc).__name__}: {exc}",
                   err=True)
        sys.exit(3)
    if workers == 1:
        from userpools.http import Server
        from userpools.workers import STARTUP_FAILURE, uvicorn_config

        server = Server(uvicorn_config(app, settings, log_level=log_level, access_log=access_log))
        with contextlib.suppress(KeyboardInterrupt):  # as uvicorn.run
            server.run()
        if not server.started:
            sys.exit(STARTUP_FAILURE)
        return
    del app  # built only to refuse a bad configuration before any process starts; each worker builds its own
    from userpools.workers import serve_workers

    sys.exit(serve_workers(settings, workers=workers, log_level=log_level, access_log=access_log))


def _signing_process(options: dict[str, Any]) -> bool:
    """--signing-process as given, else on where a CPU would otherwise idle: one server process, no signing
    threads, more than one CPU this process may run on (not on Windows, which cannot pass the helper its
    socket)."""
    chosen = options.get("signing_process")
    if chosen is not None:
        return bool(chosen)
    affinity = getattr(os, "sched_getaffinity", None)  # Linux; elsewhere every CPU counts
    cpus = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    return options["workers"] == 1 and not options["signing_threads"] and cpus > 1 and sys.platform != "win32"


def settings_from_options(options: dict[str, Any]) -> Settings:
    """``serve``'s options (click's parameter names) as Settings; also the pytest plugin's way from
    ``--userpools-arg`` to Settings (``serve.make_context``)."""
    try:
        credentials = tuple(AdminCredentials.parse(item) for item in (options["admin_credentials"] or "").split())
    except ValueError as exc:
        raise click.UsageError(f"--admin-credentials: {exc}") from None
    return Settings(
        host=options["host"], port=options["port"], data_dir=options["data_dir"],
        database_url=options["database_url"], region=options["region"], account_id=options["account_id"],
        admin_credentials=credentials, data_key=options["data_key"], public_url=options["public_url"],
        aws_issuer=options["aws_issuer"], config_file=options["config_file"],
        lambda_endpoint=options["lambda_endpoint"], smtp_url=options["smtp_url"],
        sms_webhook=options["sms_webhook"], recovery_attempts_per_hour=options["recovery_attempts_per_hour"],
        recovery_requests_per_second=options["recovery_requests_per_second"], workers=options["workers"],
        rate_limits=None if options["rate_limits"] is None else options["rate_limits"] == "on",
        token_failures_per_minute=options["token_failures_per_minute"],
        login_failures_per_minute=options["login_failures_per_minute"],
        keep_alive_seconds=options["keep_alive"], signing_threads=options["signing_threads"],
        signing_process=_signing_process(options), tls_cert=options["tls_cert"], tls_key=options["tls_key"],
        tls_self_signed=options["tls_self_signed"], tls_names=tuple(options["tls_names"]),
        request_log=options["request_log"], log_format=options["log_format"],
        shared_signing_key=options["shared_signing_key"],
        trusted_proxies=tuple(p.strip() for p in options["trusted_proxies"].split(",") if p.strip()),
        breached_passwords=options["breached_passwords"], breached_passwords_url=options["breached_passwords_url"],
        log_dir=options["log_dir"], cimd_allow_loopback=options["cimd_allow_loopback"],
    )


@main.command()
@_common
def migrate(data_dir: Path, database_url: str | None) -> None:
    """Bring the database schema up to date (the server also does this at start-up)."""
    from userpools.storage.engine import migrate as run_migrations

    settings = Settings(data_dir=data_dir, database_url=database_url)
    run_migrations(settings.effective_database_url)
    click.echo(f"userpools: schema up to date at {settings.effective_database_url}")


@main.command()
@click.option("--url", envvar="USERPOOLS_URL", default="http://127.0.0.1:9229", show_default=True,
              help="The running server (development mode).")
@click.option("--pool", "pool_id", default=None, help="Only this pool's messages.")
@click.option("--user", "username", default=None, help="Only this user's messages.")
@click.option("--limit", type=int, default=20, show_default=True)
def outbox(url: str, pool_id: str | None, username: str | None, limit: int) -> None:
    """Print the messages (codes, invitations) the server sent, newest first."""
    import httpx

    from userpools.delivery.messages import Message
    from userpools.delivery.outbox import render_box

    params = {k: v for k, v in {"userPoolId": pool_id, "username": username, "limit": str(limit)}.items() if v}
    try:
        response = httpx.get(f"{url.rstrip('/')}/_userpools/outbox", params=params, timeout=10)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {url}: {exc}") from None
    if response.status_code != 200:
        raise click.ClickException(f"the outbox is not available at {url} (development mode only)")
    for item in response.json()["messages"]:
        click.echo(f"{item['createdAt']}")
        click.echo(render_box(Message(
            pool_id=item["userPoolId"], username=item["username"], destination=item["destination"],
            delivery_medium=item["deliveryMedium"], subject=item["subject"], body=item["body"],
            code=item["code"], trigger_source=item["triggerSource"],
        )), nl=False)


@main.command("import-log")
@click.argument("job_id")
@_common
@click.option("--only-problems", is_flag=True, help="Only the SKIPPED and FAILED lines.")
def import_log(job_id: str, data_dir: Path, database_url: str | None, only_problems: bool) -> None:
    """Print a user import job's per-line results, as Cognito writes them to CloudWatch Logs
    ("[SUCCEEDED] Line Number 2 - The import succeeded."), read from the server's database."""
    import asyncio

    from userpools.domain.user_import import log_text
    from userpools.storage.engine import open_store

    settings = Settings(data_dir=data_dir, database_url=database_url)

    async def read() -> int:
        store = await open_store(settings.effective_database_url)
        shown = after = 0
        try:
            while True:
                async with store.transaction(readonly=True) as tx:
                    page = await tx.import_jobs.log(job_id, after_line=after, limit=5000)
                for entry in page:
                    if not only_problems or entry.outcome != "SUCCEEDED":
                        click.echo(log_text(entry.line, entry.outcome, entry.message))
                        shown += 1
                if len(page) < 5000:
                    return shown
                after = page[-1].line
        finally:
            await store.close()

    if asyncio.run(read()) == 0:
        click.echo(f"userpools: no log lines for {job_id}", err=True)


@main.command("export")
@click.option("--pool", "pool_id", required=True, help="The id of the pool to export.")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the document to this file (default: standard output).")
@_common
def export_command(pool_id: str, out: Path | None, data_dir: Path, database_url: str | None) -> None:
    """Write one pool (configuration, clients, groups, users with their encrypted password verifiers,
    memberships, domains, resource servers, …) as one JSON document, read from the database."""
    import asyncio
    from datetime import UTC, datetime

    import orjson

    from userpools.portability import PortabilityError, export_pool
    from userpools.storage.engine import open_store

    settings = Settings(data_dir=data_dir, database_url=database_url)

    async def read() -> dict[str, Any]:
        store = await open_store(settings.effective_database_url)
        try:
            return await export_pool(store, pool_id, now=datetime.now(UTC))
        finally:
            await store.close()

    try:
        document = asyncio.run(read())
    except PortabilityError as exc:
        click.echo(f"userpools: {exc}", err=True)
        sys.exit(2)
    text = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    if out is None:
        click.echo(text.decode(), nl=False)
    else:
        out.write_bytes(text)
        click.echo(f"userpools: pool {pool_id} written to {out}", err=True)


@main.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@_common
def import_command(file: Path, data_dir: Path, database_url: str | None) -> None:
    """Create the pool of a document `userpools export` wrote (FILE, or - for standard input), in one
    transaction. Passwords keep working when this server has the data key of the one that exported it."""
    import asyncio

    import orjson

    from userpools.portability import PortabilityError, import_pool
    from userpools.storage.engine import open_store

    settings = Settings(data_dir=data_dir, database_url=database_url)
    try:
        raw = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
        document = orjson.loads(raw)
    except OSError as exc:
        raise click.UsageError(f"{file}: cannot be read ({exc.strerror})") from None
    except orjson.JSONDecodeError as exc:
        raise click.UsageError(f"{file}: not JSON: {exc}") from None

    async def write() -> str:
        store = await open_store(settings.effective_database_url)
        try:
            return await import_pool(store, document)
        finally:
            await store.close()

    try:
        pool_id = asyncio.run(write())
    except PortabilityError as exc:
        click.echo(f"userpools: {file}: {exc}", err=True)
        sys.exit(2)
    click.echo(f"userpools: pool {pool_id} imported", err=True)


@main.command("clone")
@click.option("--endpoint", default=None,
              help="The Cognito-compatible endpoint to copy from (default: AWS's cognito-idp endpoint of --region).")
@click.option("--pool", "pool_id", required=True, help="The id of the pool to copy.")
@click.option("--region", default=None, help="The source's region (default: the pool id's).")
@click.option("--data-key", envvar="USERPOOLS_DATA_KEY", default=None,
              help="This server's data key (client secrets are stored encrypted under it).")
@_common
def clone_command(endpoint: str | None, pool_id: str, region: str | None, data_key: str | None, data_dir: Path,
                  database_url: str | None) -> None:
    """Copy a pool (configuration, clients with their secrets, groups, resource servers, its domain, users
    and their groups) from any Cognito-compatible endpoint, through its public API only, into this server's
    database with the same ids. Users arrive RESET_REQUIRED: no API gives their passwords. The source's
    credentials are AWS's usual ones (environment, profile); a local endpoint without any gets test/test."""
    import botocore.session
    from botocore.exceptions import BotoCoreError, ClientError

    from userpools.app import with_context
    from userpools.cloning import clone, read_source
    from userpools.provisioning import PoolsConfigError

    settings = Settings(data_dir=data_dir, database_url=database_url, data_key=data_key)
    session = botocore.session.get_session()
    credentials: dict[str, str] = {}
    if session.get_credentials() is None:
        credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    client = session.create_client("cognito-idp", region_name=region or pool_id.split("_", 1)[0],
                                   endpoint_url=endpoint, **credentials)
    where = endpoint or "cognito-idp"
    try:
        source = read_source(client, pool_id)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        click.echo(f"userpools: {where}: {error.get('Code')}: {error.get('Message')}", err=True)
        sys.exit(2)
    except BotoCoreError as exc:
        click.echo(f"userpools: {where}: {exc}", err=True)
        sys.exit(2)
    try:
        for change in with_context(settings, lambda context: clone(context, source, where=where)):
            click.echo(f"userpools: {change}", err=True)
    except (PoolsConfigError, ValueError) as exc:
        click.echo(f"userpools: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
