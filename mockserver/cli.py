"""``apple-music-mock``: serve the fake, mint a developer token for it, or verify it."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn

from .errors import MockServerError

__all__ = ["ADMIN_TOKEN_ENV", "main"]

DEFAULT_KEY_FILE = "apple-music-mock-key.pem"
#: An admin token for ``serve`` from the environment (a CI service container sets it).
ADMIN_TOKEN_ENV = "APPLE_MUSIC_MOCK_ADMIN_TOKEN"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default when it has one worth showing (not an unset None, a
    flag's False or an empty list; those options say in their help what happens instead)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False, []) or "%(default)" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def _fail(message: str) -> NoReturn:
    sys.stderr.write(f"apple-music-mock: error: {message}\n")
    raise SystemExit(2)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: not a number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"invalid port {value}: must be 0-65535 (0 = any free)")
    return value


def _version() -> str:
    from . import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    from .tokens import DEFAULT_KEY_ID, DEFAULT_TEAM_ID, MAX_TOKEN_LIFETIME

    parser = _Parser(
        prog="apple-music-mock",
        description="Offline fake of Apple Music API's POST /v1/me/library and the calls "
        "around it.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = commands.add_parser("serve", help="serve the fake on uvicorn", formatter_class=_Help)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (anything else warns)")
    serve.add_argument("--port", type=_port, default=8080, help="port; 0 = any free port")
    serve.add_argument("--config", type=Path, help="settings file (.toml or .json)")
    serve.add_argument(
        "--catalog",
        metavar="FILE",
        help="catalog document (JSON, schemas/catalog.schema.json) for the catalog lookups, "
        "or 'demo' for the built-in demo catalog; replaces the config file's catalog",
    )
    serve.add_argument(
        "--developer-key",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="public or private key (PEM, or JWK in a .json file) whose tokens are trusted; "
        "repeatable. Without one, tokens get structural checks only",
    )
    serve.add_argument(
        "--port-file",
        type=Path,
        help="write the bound port here once ready (removed on exit)",
    )
    serve.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="level of the fake's log; 'info' also says why each request was refused",
    )
    serve.add_argument(
        "--access-log",
        action="store_true",
        help="log every request (credentials redacted), whatever --log-level",
    )
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a local CA and a certificate for localhost, 127.0.0.1, "
        "api.music.apple.com and amp-api.music.apple.com, made in --tls-dir on first use",
    )
    serve.add_argument(
        "--tls-dir",
        type=Path,
        default=Path("apple-music-mock-tls"),
        help="where --tls keeps ca.pem (trust this), cert.pem and key.pem",
    )
    serve.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (PEM)")
    serve.add_argument("--tls-key", type=Path, help="the private key of --tls-cert (PEM)")
    serve.add_argument(
        "--http",
        default="auto",
        choices=["auto", "httptools", "h11"],
        help="HTTP parser (auto: httptools, a dependency; h11: uvicorn's pure-Python one)",
    )
    serve.add_argument(
        "--loop",
        default="auto",
        choices=["auto", "uvloop", "asyncio"],
        help="event loop (auto: uvloop where it installs, else asyncio)",
    )

    token = commands.add_parser(
        "token", help="print a valid ES256 developer token", formatter_class=_Help
    )
    token.add_argument(
        "--key",
        type=Path,
        default=None,
        help=f"private key PEM (default: ./{DEFAULT_KEY_FILE}, created on first use); "
        "a --key that does not exist is an error unless --create is given",
    )
    token.add_argument("--create", action="store_true", help="create --key when it is missing")
    token.add_argument("--team-id", default=DEFAULT_TEAM_ID, help="iss claim (10 characters)")
    token.add_argument("--key-id", default=DEFAULT_KEY_ID, help="kid header (10 characters)")
    token.add_argument(
        "--lifetime",
        type=int,
        default=3600,
        help=f"seconds until exp (at most {MAX_TOKEN_LIFETIME}, Apple's six months)",
    )
    token.add_argument("--origin", action="append", help="origin claim entry; repeatable")
    token.add_argument("--print-public-key", action="store_true", help="print the public PEM")

    from .verify_command import add_parser

    add_parser(commands, _Help)
    return parser


def _developer_key(path: Path) -> str | dict[str, object]:
    """The public key in a key file (never echoing the file's content in an error)."""
    from .tokens import load_private_key, public_key_pem

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not a text file"
        _fail(f"cannot read developer key {str(path)!r}: {reason}")
    if text.lstrip().startswith("{"):
        try:
            jwk = json.loads(text)
        except ValueError:
            _fail(f"developer key {str(path)!r}: not valid JSON (expected a JWK)")
        if not isinstance(jwk, dict):
            _fail(f"developer key {str(path)!r}: a JWK must be a JSON object")
        return {name: value for name, value in jwk.items() if name != "d"}  # its public part
    if "PRIVATE KEY" in text:
        try:
            return public_key_pem(load_private_key(path))
        except ValueError:
            _fail(f"developer key {str(path)!r}: not a P-256 (ES256) private key")
    if "-----BEGIN PUBLIC KEY-----" not in text:
        _fail(f"developer key {str(path)!r}: not a PEM public or private key, nor a JWK")
    return text


@contextlib.contextmanager
def _port_file(path: Path | None) -> Iterator[None]:
    """A stale port file is removed before serving, and this run's when it ends."""
    if path is None:
        yield
        return
    if not path.parent.is_dir():
        _fail(f"--port-file {str(path)!r}: the directory {str(path.parent)!r} does not exist")
    path.unlink(missing_ok=True)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _logging(level: str, access_log: bool) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    fake = logging.getLogger("apple_music_mock")
    fake.addHandler(handler)
    fake.setLevel(level.upper())
    if access_log:
        access = logging.getLogger("apple_music_mock.access")
        access.setLevel(logging.INFO)


def _serve(args: argparse.Namespace) -> int:
    from .app import create_app
    from .catalog import read_catalog
    from .config import Settings, load_config
    from .server import ReadyServer, bind_socket, is_loopback_host, uvicorn_config, write_port_file

    _logging(args.log_level, args.access_log)
    log = logging.getLogger("apple_music_mock")
    settings = load_config(args.config) if args.config else Settings()
    if args.catalog is not None:
        settings = settings.replace(catalog=read_catalog(args.catalog))
    if args.developer_key:
        keys = [_developer_key(path) for path in args.developer_key]
        settings = settings.replace(developer_keys=[*settings.developer_keys, *keys])
    admin_token = os.environ.get(ADMIN_TOKEN_ENV)
    if admin_token:
        settings = settings.replace(admin_token=admin_token)
    tls = _tls_files(args)
    app = create_app(settings)
    app.access_log = args.access_log
    with _port_file(args.port_file):
        try:
            sock = bind_socket(args.host, args.port)
        except OSError as error:
            _fail(f"cannot bind {args.host}:{args.port}: {error.strerror or error}")
        port = sock.getsockname()[1]
        host = f"[{args.host}]" if ":" in args.host else args.host
        url = f"{'https' if tls else 'http'}://{host}:{port}"
        if not is_loopback_host(args.host):
            log.warning(
                "serving on %s: reachable from other machines%s",
                args.host,
                ""
                if settings.admin_token
                else "; the admin API stays closed to them "
                f"without an admin token (set {ADMIN_TOKEN_ENV})",
            )
        verified = "signatures verified" if settings.developer_keys else "signatures NOT verified"
        admin = "token-protected" if settings.admin_token else "loopback only"

        def ready() -> None:
            if args.port_file:
                write_port_file(args.port_file, port)
            trust = f"; clients trust {tls[0]}" if tls and tls[0] else ""
            print(
                f"apple-music-mock {_version()} serving on {url} (POST {url}/v1/me/library); "
                f"developer tokens: {verified}; admin API: {admin}{trust}",
                flush=True,
            )

        config = uvicorn_config(
            app,
            log_level=args.log_level,
            http=args.http,
            loop=args.loop,
            tls=(tls[1], tls[2]) if tls else None,
        )
        server = ReadyServer(config, ready)
        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal; these
        # handlers turn that into a normal exit instead of death by signal.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _exit_cleanly)
        # Everything built so far lives as long as the process: keep it out of every garbage
        # collection so full collections scan only what requests leave behind.
        gc.freeze()
        server.run(sockets=[sock])
    return 0


def _tls_files(args: argparse.Namespace) -> tuple[Path | None, Path, Path] | None:
    """(CA file or None, certificate, key) when serving HTTPS, else None."""
    if (args.tls_cert is None) != (args.tls_key is None):
        _fail("--tls-cert and --tls-key go together")
    if args.tls_cert is not None:
        if args.tls:
            _fail("give --tls (a local CA) or --tls-cert/--tls-key (your own), not both")
        for flag, path in (("--tls-cert", args.tls_cert), ("--tls-key", args.tls_key)):
            if not path.is_file():
                _fail(f"{flag} {path}: no such file")
        return None, args.tls_cert, args.tls_key
    if not args.tls:
        return None
    from .tls import ensure_tls_files

    try:
        files, made = ensure_tls_files(args.tls_dir)
    except OSError as error:
        _fail(f"--tls-dir {args.tls_dir}: {error.strerror or error}")
    if made:
        print(f"apple-music-mock: made a local CA in {args.tls_dir}", file=sys.stderr, flush=True)
    return files.ca.resolve(), files.cert, files.key


def _exit_cleanly(signum: int, frame: object) -> NoReturn:
    raise SystemExit(0)


def _token(args: argparse.Namespace) -> int:
    from .tokens import (
        MAX_TOKEN_LIFETIME,
        load_or_create_private_key,
        load_private_key,
        mint_developer_token,
        public_key_pem,
    )

    for name, value in (("--team-id", args.team_id), ("--key-id", args.key_id)):
        if len(value) != 10:
            _fail(f"{name} {value!r} must be exactly 10 characters")
    if not 0 < args.lifetime <= MAX_TOKEN_LIFETIME:
        _fail(
            f"--lifetime {args.lifetime} must be between 1 and {MAX_TOKEN_LIFETIME} seconds "
            "(Apple refuses tokens that live longer, and so does the fake)"
        )
    path = args.key if args.key is not None else Path(DEFAULT_KEY_FILE)
    try:
        if args.key is not None and not args.create:
            if not path.exists():
                _fail(f"no key file {str(path)!r} (give --create to make one there)")
            key = load_private_key(path)
        else:
            key = load_or_create_private_key(path)
    except OSError as error:
        _fail(f"cannot use key file {str(path)!r}: {error.strerror or error}")
    except ValueError:
        _fail(f"key file {str(path)!r} is not a P-256 (ES256) private key in PEM")
    if args.print_public_key:
        print(public_key_pem(key), end="")
        return 0
    token = mint_developer_token(
        key,
        team_id=args.team_id,
        key_id=args.key_id,
        lifetime=args.lifetime,
        origin=args.origin,
    )
    print(token)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``apple-music-mock`` command."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "verify":
            from .verify_command import run

            return run(args)
        return _token(args)
    except MockServerError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        return 130
