"""Offline sync: one registry of what each app contributes, one change log, one opaque cursor.

Each app declares its resources in `<app>/sync.py` with `register(...)` (core's AppConfig imports
every local app's `sync` module), and every service that changes a synced object calls
`sync_record(...)` inside its transaction for each user whose copy is affected.

Why a change log and not `updated_at > since`: wall clocks skew and a timestamp (or a sequence
value) is taken before the transaction commits, so a slow transaction can commit a change "behind"
a cursor that a client already holds. Each `SyncChange` row therefore also stores the id of the
transaction that wrote it, and the reader only hands out rows whose transaction id is below the
*safe horizon*: the smallest id of a transaction still running in this database. Every transaction
below the horizon has finished, so the set of rows below it is final and can be read in
(txid, id) order once and only once; a running transaction holds the horizon back until it ends,
and then its rows are delivered. On SQLite writers are serialised, so txid is 0 and the row id is
commit order.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Max, Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, ConflictError
from core.models import SyncChange, SyncOp

MAX_POSITION = 2**63 - 1
DEFAULT_PAGE_LIMIT = 200
MAX_PAGE_LIMIT = 1000
# A cursor older than this is refused (409 `sync_cursor_expired`: take a full snapshot again), so
# change-log rows older than it plus a margin for slow transactions can be pruned.
SYNC_RETENTION = timedelta(days=getattr(settings, "SYNC_RETENTION_DAYS", 60))
PRUNE_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class SyncResource:
    """What one app contributes to a sync.

    `visible(user)` is every object of that kind the user may hold offline (also the permission
    check: an object not in it is a tombstone); `serialize(obj)` is its JSON shape; a `single`
    resource (the profile) is one object or null instead of a list."""

    name: str
    serialize: Callable[[Any], dict[str, Any]]
    visible: Callable[[Any], QuerySet]
    single: bool = False


_registry: dict[str, SyncResource] = {}


def register(
    name: str, *, serialize: Callable[[Any], dict[str, Any]], visible: Callable[[Any], QuerySet], single: bool = False
) -> SyncResource:
    """Add a resource to `/sync`: its key in `changes`/`deleted`, its shape and who sees what."""
    if name in _registry:
        raise ValueError(f"sync resource {name!r} is already registered")
    resource = SyncResource(name=name, serialize=serialize, visible=visible, single=single)
    _registry[name] = resource
    return resource


def registered() -> list[SyncResource]:
    """By name: a snapshot cursor resumes "after resource X", so every process (whatever order
    its apps were imported in) must walk the resources in the same order."""
    return [_registry[name] for name in sorted(_registry)]


def sync_record(*, users: Iterable[Any], resource: str, object_id: Any, op: str = SyncOp.UPSERT) -> None:
    """Log that `object_id` of `resource` changed (or was deleted / stopped being visible) for each
    of `users` (User instances or ids). Call it inside the transaction that makes the change, so
    the log row commits or rolls back with it."""
    sync_record_many(users=users, resource=resource, object_ids=[object_id], op=op)


def sync_record_many(
    *, users: Iterable[Any], resource: str, object_ids: Iterable[Any], op: str = SyncOp.UPSERT
) -> None:
    """`sync_record` for several objects of one resource, in one insert."""
    sync_record_changes(users=users, changes=[(resource, object_id, op) for object_id in object_ids])


def sync_record_changes(*, users: Iterable[Any], changes: Iterable[tuple[str, Any, str]]) -> None:
    """`sync_record` for several (resource, object id, op) changes, possibly of several resources,
    in one insert (rows in the order given, each for every user)."""
    changes = list(changes)
    for resource, _object_id, op in changes:
        if resource not in _registry:
            raise ValueError(f"unknown sync resource {resource!r}")
        if op not in SyncOp.values:
            raise ValueError(f"unknown sync op {op!r}")
    user_ids = {getattr(user, "pk", user) for user in users if user is not None}
    SyncChange.objects.bulk_create(
        [
            SyncChange(user_id=user_id, resource=resource, object_id=str(object_id), op=op)
            for resource, object_id, op in changes
            for user_id in user_ids
        ]
    )


# --- Reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """The (txid, id) key of the last change-log row a client has received."""

    txid: int
    id: int


def _invalid_cursor() -> ApplicationError:
    return ApplicationError(_("This sync cursor is not valid."), code="invalid_cursor", attr="since")


@dataclass
class SyncCursor:
    position: Position
    # While a full snapshot is being paged: the resource being walked and the last pk sent.
    snapshot: tuple[str, str] | None = None
    # When the client last caught up (unix seconds); only used to expire cursors, never to order.
    issued_at: int = field(default_factory=lambda: int(timezone.now().timestamp()))

    def encode(self) -> str:
        payload: dict[str, Any] = {"v": 1, "p": [self.position.txid, self.position.id], "t": self.issued_at}
        if self.snapshot is not None:
            payload["s"] = list(self.snapshot)
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> SyncCursor:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload = json.loads(raw)
            txid, row_id = payload["p"]
            issued_at = payload["t"]
            if payload.get("v") != 1 or not all(
                isinstance(n, int) and 0 <= n <= MAX_POSITION for n in (txid, row_id, issued_at)
            ):
                raise ValueError
            snapshot = payload.get("s")
            if snapshot is not None:
                name, last_pk = snapshot
                if name not in _registry or not isinstance(last_pk, str):
                    raise ValueError
                snapshot = (name, last_pk)
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
            raise _invalid_cursor() from None
        if issued_at < (timezone.now() - SYNC_RETENTION).timestamp():
            raise ConflictError(
                _("This sync cursor has expired: download everything again."), code="sync_cursor_expired", attr="since"
            )
        return cls(position=Position(txid, row_id), snapshot=snapshot, issued_at=issued_at)


@dataclass
class SyncPage:
    cursor: str
    has_more: bool
    changes: dict[str, Any] = field(default_factory=dict)
    deleted: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"cursor": self.cursor, "has_more": self.has_more, "changes": self.changes, "deleted": self.deleted}


class _PageBuilder:
    """Collects upserts and tombstones in delivery order; a later entry for an object wins."""

    def __init__(self) -> None:
        self.upserts: dict[str, dict[str, dict[str, Any]]] = {r.name: {} for r in registered()}
        self.tombstones: dict[str, dict[str, None]] = {r.name: {} for r in registered()}

    def upsert(self, resource: SyncResource, obj: Model) -> None:
        key = str(obj.pk)
        self.tombstones[resource.name].pop(key, None)
        self.upserts[resource.name][key] = resource.serialize(obj)

    def tombstone(self, resource: SyncResource, object_id: str) -> None:
        self.upserts[resource.name].pop(object_id, None)
        self.tombstones[resource.name][object_id] = None

    def page(self, cursor: SyncCursor, has_more: bool) -> SyncPage:
        changes: dict[str, Any] = {}
        deleted: dict[str, list[str]] = {}
        for resource in registered():
            found = list(self.upserts[resource.name].values())
            if resource.single:
                changes[resource.name] = found[-1] if found else None
            else:
                changes[resource.name] = found
                deleted[resource.name] = list(self.tombstones[resource.name])
        return SyncPage(cursor=cursor.encode(), has_more=has_more, changes=changes, deleted=deleted)


@dataclass(frozen=True)
class Horizon:
    """Rows with txid < `below` are final (None: no bound, SQLite). `own_txid` is the reader's own
    transaction when it has written (its rows are visible to it, and it may still add more)."""

    below: int | None
    own_txid: int | None = None


def _widen_xid(xid32: int, reference: int) -> int:
    """The 64-bit transaction id (epoch included) of a 32-bit xid close to `reference`."""
    xid = (reference & ~0xFFFFFFFF) | xid32
    if xid > reference + 2**31:
        xid -= 2**32
    elif xid < reference - 2**31:
        xid += 2**32
    return xid


def sync_safe_horizon() -> Horizon:
    """The smallest transaction id that may still commit change-log rows.

    The bound is the smallest id among the transactions of this database still running (read
    from pg_stat_activity; other databases cannot write our table, so a long transaction elsewhere
    on the cluster does not stall sync), or, when none runs, the snapshot's xmax (every committed
    id is below it, and it was taken before the scan, so a transaction that gets an id during the
    scan gets a larger one). Must run in its own statement BEFORE the rows are read: under READ
    COMMITTED the next statement's snapshot sees every transaction below the horizon committed."""
    if connection.vendor != "postgresql":
        return Horizon(below=None)
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            # pg_stat_activity is cached per transaction; a stale copy could miss a newer writer.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            """
            SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint,
                   pg_current_xact_id_if_assigned()::text::bigint,
                   ARRAY(SELECT backend_xid::text::bigint FROM pg_stat_activity
                         WHERE datname = current_database() AND pid <> pg_backend_pid()
                           AND backend_xid IS NOT NULL)
            """
        )
        xmax, own, running = cursor.fetchone()
    upper = max(xmax, own + 1) if own is not None else xmax
    below = min([upper, *(_widen_xid(xid, xmax) for xid in running)])
    if own is not None and own < below:
        # Our own later writes reuse our txid: never move the cursor past it while we run.
        return Horizon(below=own + 1, own_txid=own)
    return Horizon(below=below, own_txid=own)


def _start_position() -> Position:
    """Where the change log resumes after a full snapshot taken from now on: every row whose
    effect the snapshot will already show (a row both in the snapshot and after this position is
    sent twice, which an upsert tolerates; the reverse would lose it)."""
    horizon = sync_safe_horizon()
    if horizon.below is None or (horizon.own_txid is not None and horizon.below == horizon.own_txid + 1):
        last_id = SyncChange.objects.aggregate(last=Max("id"))["last"] or 0
        return Position(horizon.own_txid or 0, last_id)
    return Position(horizon.below - 1, MAX_POSITION)


def _fill_from_snapshot(*, builder: _PageBuilder, user, cursor: SyncCursor, room: int) -> tuple[int, SyncCursor]:
    """Walk every visible object resource by resource, pk order. Returns (items sent, next cursor)."""
    names = [r.name for r in registered()]
    name, last_pk = cursor.snapshot  # type: ignore[misc]
    sent = 0
    for resource in registered()[names.index(name) :]:
        queryset = resource.visible(user).order_by("pk")
        if resource.name == name and last_pk:
            try:
                # The cursor is the client's to forge: a pk that is not one is a 400, not a 500.
                after = queryset.model._meta.pk.to_python(last_pk)
            except ValidationError:
                raise _invalid_cursor() from None
            queryset = queryset.filter(pk__gt=after)
        take = room - sent
        objects = list(queryset[: take + 1])
        for obj in objects[:take]:
            builder.upsert(resource, obj)
        if len(objects) > take:
            resume_after = str(objects[take - 1].pk) if take else ""
            return room, SyncCursor(
                position=cursor.position, snapshot=(resource.name, resume_after), issued_at=cursor.issued_at
            )
        sent += len(objects)
    return sent, SyncCursor(position=cursor.position, issued_at=cursor.issued_at)


def _fill_from_log(*, builder: _PageBuilder, user, cursor: SyncCursor, room: int) -> tuple[bool, SyncCursor]:
    """Deliver change-log rows after the cursor and below the safe horizon. Returns (has_more, cursor)."""
    horizon = sync_safe_horizon().below
    position = cursor.position
    rows = SyncChange.objects.filter(user=user).filter(
        Q(txid__gt=position.txid) | Q(txid=position.txid, id__gt=position.id)
    )
    if horizon is not None:
        rows = rows.filter(txid__lt=horizon)
    batch = list(rows.order_by("txid", "id").values_list("txid", "id", "resource", "object_id")[: room + 1])
    has_more = len(batch) > room
    batch = batch[:room]
    if not batch:
        # Caught up as of now: the cursor is fresh again even though its position did not move.
        return False, SyncCursor(position=cursor.position)

    latest: dict[tuple[str, str], int] = {}
    for index, (_txid, _id, resource_name, object_id) in enumerate(batch):
        latest[(resource_name, object_id)] = index
    by_resource: dict[str, set[str]] = {}
    for resource_name, object_id in latest:
        by_resource.setdefault(resource_name, set()).add(object_id)
    # Whatever the logged op says, the object's current visibility decides: gone or no longer
    # visible to this user is a tombstone, otherwise its current state is sent.
    current: dict[tuple[str, str], Model] = {}
    for resource_name, object_ids in by_resource.items():
        resource = _registry.get(resource_name)
        if resource is None:
            continue
        for obj in resource.visible(user).filter(pk__in=list(object_ids)):
            current[(resource_name, str(obj.pk))] = obj
    for (resource_name, object_id), _index in sorted(latest.items(), key=lambda item: item[1]):
        resource = _registry.get(resource_name)
        if resource is None:
            continue
        obj = current.get((resource_name, object_id))
        if obj is not None:
            builder.upsert(resource, obj)
        else:
            builder.tombstone(resource, object_id)
    last_txid, last_id = batch[-1][0], batch[-1][1]
    return has_more, SyncCursor(position=Position(last_txid, last_id))


def sync_page(*, user, since: str | None, limit: int = DEFAULT_PAGE_LIMIT) -> SyncPage:
    """One page of the user's offline sync. Without `since`: a full snapshot of everything visible
    (paged), then the changes made meanwhile; with it: what changed after that cursor."""
    limit = max(1, min(limit, MAX_PAGE_LIMIT))
    builder = _PageBuilder()
    if since:
        cursor = SyncCursor.decode(since)
    else:
        first = registered()[0].name if registered() else ""
        cursor = SyncCursor(position=_start_position(), snapshot=(first, ""))
    room = limit
    if cursor.snapshot is not None and registered():
        sent, cursor = _fill_from_snapshot(builder=builder, user=user, cursor=cursor, room=room)
        if cursor.snapshot is not None:
            return builder.page(cursor, has_more=True)
        room -= sent
        if room <= 0:
            return builder.page(cursor, has_more=True)
    cursor.snapshot = None
    has_more, cursor = _fill_from_log(builder=builder, user=user, cursor=cursor, room=room)
    return builder.page(cursor, has_more=has_more)


def sync_prune(*, now=None) -> int:
    """Delete change-log rows no unexpired cursor can still need. Returns how many."""
    cutoff = (now or timezone.now()) - SYNC_RETENTION - PRUNE_MARGIN
    deleted, _by_model = SyncChange.objects.filter(created_at__lt=cutoff).delete()
    return deleted
