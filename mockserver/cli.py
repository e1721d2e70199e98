"""``apple-music-mock``: serve the fake, or mint a developer token for it."""

from __future__ import annotations

import argparse
import gc
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .errors import MockServerError

__all__ = ["main"]

DEFAULT_KEY_FILE = "apple-music-mock-key.pem"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="apple-music-mock",
        description="Offline fake of Apple Music API's POST /v1/me/library.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = commands.add_parser("serve", help="serve the fake on uvicorn")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=_port, default=8080, help="port (default 8080; 0 = any free)"
    )
    serve.add_argument("--config", type=Path, help="settings file (.toml or .json)")
    serve.add_argument(
        "--developer-key",
        action="append",
        default=[],
        type=Path,
        metavar="PEM",
        help="public (or private) key file whose tokens are trusted; repeatable."
        " Without one, tokens get structural checks only",
    )
    serve.add_argument("--port-file", type=Path, help="write the bound port here once ready")
    serve.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")

    token = commands.add_parser("token", help="print a valid ES256 developer token")
    token.add_argument(
        "--key",
        type=Path,
        default=Path(DEFAULT_KEY_FILE),
        help=f"private key PEM; created when missing (default ./{DEFAULT_KEY_FILE})",
    )
    token.add_argument("--team-id", default=None, help="iss claim (10 characters)")
    token.add_argument("--key-id", default=None, help="kid header (10 characters)")
    token.add_argument("--lifetime", type=int, default=3600, help="seconds until exp")
    token.add_argument("--origin", action="append", help="origin claim entry; repeatable")
    token.add_argument("--print-public-key", action="store_true", help="print the public PEM")
    return parser


def _serve(args: argparse.Namespace) -> int:
    from .app import create_app
    from .config import Settings, load_config
    from .server import ReadyServer, bind_socket, uvicorn_config, write_port_file
    from .tokens import load_private_key, public_key_pem

    settings = load_config(args.config) if args.config else Settings()
    if args.developer_key:
        pems = []
        for path in args.developer_key:
            try:
                text = path.read_text(encoding="ascii")
            except (OSError, UnicodeDecodeError) as error:
                _fail(f"cannot read developer key {str(path)!r}: {error}")
            if "PRIVATE KEY" in text:
                try:
                    text = public_key_pem(load_private_key(path))
                except ValueError as error:
                    _fail(f"developer key {str(path)!r}: {error}")
            pems.append(text)
        settings = settings.replace(developer_keys=[*settings.developer_keys, *pems])
    app = create_app(settings)
    try:
        sock = bind_socket(args.host, args.port)
    except OSError as error:
        _fail(f"cannot bind {args.host}:{args.port}: {error.strerror or error}")
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{port}"

    def ready() -> None:
        if args.port_file:
            write_port_file(args.port_file, port)
        print(f"apple-music-mock serving on {url} (POST {url}/v1/me/library)", flush=True)

    server = ReadyServer(
        uvicorn_config(app, log_level=args.log_level, access_log=args.access_log), ready
    )
    # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal; these
    # handlers turn that into a normal exit instead of death by signal.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_cleanly)
    # Everything built so far lives as long as the process: keep it out of every garbage
    # collection so full collections scan only what requests leave behind.
    gc.freeze()
    server.run(sockets=[sock])
    return 0


def _exit_cleanly(signum: int, frame: object) -> NoReturn:
    raise SystemExit(0)


def _token(args: argparse.Namespace) -> int:
    from .tokens import (
        DEFAULT_KEY_ID,
        DEFAULT_TEAM_ID,
        load_or_create_private_key,
        mint_developer_token,
        public_key_pem,
    )

    for name, value in (("--team-id", args.team_id), ("--key-id", args.key_id)):
        if value is not None and len(value) != 10:
            _fail(f"{name} {value!r} must be exactly 10 characters")
    try:
        key = load_or_create_private_key(args.key)
    except (OSError, ValueError) as error:
        _fail(f"cannot use key file {str(args.key)!r}: {error}")
    if args.print_public_key:
        print(public_key_pem(key), end="")
        return 0
    try:
        token = mint_developer_token(
            key,
            team_id=args.team_id or DEFAULT_TEAM_ID,
            key_id=args.key_id or DEFAULT_KEY_ID,
            lifetime=args.lifetime,
            origin=args.origin,
        )
    except ValueError as error:
        _fail(str(error))
    print(token)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``apple-music-mock`` command."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        return _token(args)
    except MockServerError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        return 130
