"""Type stubs for the C extension smartcar_native._core."""

import os
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

ParamValue = Union[str, int, None]
Params = Mapping[str, ParamValue]
#: debug hook: (direction ">" or "<", line)
DebugHook = Callable[[str, str], Any]
#: call_many progress: (index, done, total)
Progress = Callable[[int, int, int], Any]
BytesLike = Union[str, bytes, bytearray, memoryview]

VERSION: str
OK: int
STEP_DONE: int
STEP_SEND: int
STEP_WAIT: int
WATCH_READ: int
WATCH_WRITE: int
EINVAL: int
ENOMEM: int
ENETWORK: int
ETIMEOUT: int
ETLS: int
EMALFORMED: int
ETOOBIG: int
ESTATE: int
EOAUTH: int
ECONNECT: int
EAPI: int
EHTTP: int
ERATELIMIT: int
EUSER: int
EMISUSE: int
ECONFLICT: int
ENOTFOUND: int
ESTORAGE: int
#: ((symbol, code, kind, message), ...) in errors.def order
ERRORS: Tuple[Tuple[str, int, str, str], ...]

class Client:
    """An sc_client: credentials, origins, defaults, connection pool."""

    def __new__(
        cls,
        *,
        client_id: Optional[str] = ...,
        client_secret: Optional[str] = ...,
        redirect_uri: Optional[str] = ...,
        mode: Optional[str] = ...,
        connect_origin: Optional[str] = ...,
        auth_origin: Optional[str] = ...,
        api_origin: Optional[str] = ...,
        management_origin: Optional[str] = ...,
        api_version: Optional[str] = ...,
        unit_system: Optional[str] = ...,
        user_agent_suffix: Optional[str] = ...,
        connect_timeout_ms: int = ...,
        timeout_ms: int = ...,
        max_response_bytes: int = ...,
        allow_insecure_http: bool = ...,
        insecure_skip_tls_verify_dangerous: bool = ...,
        ca_bundle: Optional[str] = ...,
        proxy: Optional[str] = ...,
        flags: Optional[str] = ...,
        max_attempts: int = ...,
        retry_base_ms: int = ...,
        retry_max_ms: int = ...,
        retry_deadline_ms: int = ...,
        rate_limit_capacity: float = ...,
        rate_limit_per_minute: float = ...,
        rate_policy: Optional[str] = ...,
        vehicle_api_origin: Optional[str] = ...,
        iam_origin: Optional[str] = ...,
        debug: Optional[DebugHook] = ...,
        profile: Optional[str] = ...,
        connection_pool_size: int = ...,
        max_cooldown_ms: int = ...,
    ) -> "Client": ...
    @property
    def closed(self) -> bool: ...
    @property
    def debug(self) -> Optional[DebugHook]: ...
    def call(self, endpoint: str, params: Optional[Params] = ...) -> Dict[str, Any]: ...
    def call_many(
        self,
        calls: Sequence[Union[Tuple[str, Optional[Params]],
                              Tuple[str, Optional[Params], "TokenStore",
                                    str]]],
        max_in_flight: int = ...,
        progress: Optional[Progress] = ...,
    ) -> List[Union[Dict[str, Any], BaseException]]:
        """Run the calls concurrently; data dicts or exception instances
        in input order."""
    def pages(
        self,
        endpoint: str,
        params: Optional[Params] = ...,
        page_size: int = ...,
        store: Optional["TokenStore"] = ...,
        key: Optional[str] = ...,
    ) -> "Pages":
        """The pages of a paged call; the library finds the last one."""
    def call_stored(
        self,
        store: "TokenStore",
        key: str,
        endpoint: str,
        params: Optional[Params] = ...,
    ) -> Dict[str, Any]:
        """call() with the access token from the store under key,
        refreshed (and saved first) when expiring or on a 401."""
    def set_debug(self, hook: Optional[DebugHook]) -> None: ...
    def share_cooldowns(self, store: Any) -> None: ...
    def auth_url(self, params: Optional[Params] = ...) -> Tuple[str, str]: ...
    def get(self, key: str) -> Optional[str]: ...
    def set_timeouts(self, connect_ms: int, total_ms: int) -> None: ...
    def connections_opened(self) -> int: ...
    def close(self) -> None: ...
    def __enter__(self) -> "Client": ...
    def __exit__(self, *exc: Any) -> bool: ...

class TokenStore:
    """An sc_token_store; made by sqlite_store() or postgres_store()."""

    @property
    def closed(self) -> bool: ...
    def put(self, key: str, token: Dict[str, Any]) -> None: ...
    def get(self, key: str) -> Dict[str, Any]: ...
    def delete(self, key: str) -> None: ...
    def refresh(self, client: Client, key: str) -> Dict[str, Any]: ...
    def close(self) -> None: ...
    def __enter__(self) -> "TokenStore": ...
    def __exit__(self, *exc: Any) -> bool: ...

class Op:
    """One call as a sans-IO state machine."""

    def __new__(cls, client: Client, endpoint: str, params: Optional[Params] = ...) -> "Op": ...
    def next(self) -> Tuple[int, Any]: ...
    def feed(
        self,
        status: int,
        headers: Union[Mapping[str, str], List[Tuple[str, str]], None] = ...,
        body: Union[bytes, str, None] = ...,
    ) -> None: ...
    def fail(self, code: int, message: Optional[str] = ...) -> None: ...
    def fail_unsent(self, code: int, message: Optional[str] = ...) -> None: ...
    def wait_ms(self) -> int: ...
    def result(self) -> Dict[str, Any]: ...

class Async:
    """Calls driven by an event loop (libsmartcar's sc_async)."""

    def __new__(cls, client: Client, max_in_flight: int = ...) -> "Async": ...
    def start(self, call: Sequence[Any]) -> int: ...
    def changes(self) -> List[Tuple[int, int]]: ...
    def fds(self) -> List[Tuple[int, int]]: ...
    def fileno(self) -> int: ...
    def timeout_ms(self) -> int: ...
    def socket(self, fd: int, events: int) -> None: ...
    def timeout(self) -> None: ...
    def poll(self) -> int: ...
    def take(self) -> List[Tuple[int, Any]]: ...
    def cancel(self, call_id: int) -> bool: ...
    def count(self) -> int: ...

def sqlite_store(path: Union[str, "os.PathLike[str]"]) -> TokenStore: ...
def postgres_store(conninfo: Optional[str] = ...) -> TokenStore: ...
def token_expired(expiration: float, leeway: float = ...) -> bool: ...
def parse_redirect(url_or_query: str, expected_state: Optional[str] = ...) -> Dict[str, Any]: ...
def random_state() -> str: ...
def hmac_sha256_hex(key: str, data: BytesLike) -> str: ...
def webhook_challenge(amt: str, challenge: str) -> str: ...
def webhook_verify(amt: str, signature: Union[str, bytes], body: BytesLike) -> bool: ...
def webhook_parse(body: BytesLike) -> Dict[str, Any]: ...
def endpoints() -> List[str]: ...
def endpoint_info(name: str) -> Optional[Dict[str, str]]: ...
def version() -> str: ...
def strerror(code: int) -> str: ...
def code_kind(code: int) -> Optional[str]: ...


class Pages(Iterator[Dict[str, Any]]):
    """Iterator over the data dicts of the pages of a paged call."""
    def __iter__(self) -> "Pages": ...
    def __next__(self) -> Dict[str, Any]: ...
