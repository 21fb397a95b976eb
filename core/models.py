import uuid

from django.db import models


class BaseModel(models.Model):
    """UUID primary key and timestamps: every public resource is addressed by a UUID."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]


class AuditLog(models.Model):
    """Who did what to which object: logins, password changes, appointment and payment state
    changes, verification decisions. Append-only; staff read it in the admin."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"


class SyncOp(models.TextChoices):
    UPSERT = "upsert", "upsert"
    DELETE = "delete", "delete"


class CurrentTransactionId(models.Func):
    """The 64-bit id of the writing transaction on PostgreSQL; 0 elsewhere.

    SQLite serialises writers, so there the row id alone is commit order."""

    output_field = models.BigIntegerField()
    template = "0"

    def as_postgresql(self, compiler, connection, **extra_context):
        return "(pg_current_xact_id()::text::bigint)", []


class SyncChange(models.Model):
    """One row per (user, object) change that the user's offline copy must catch up with.

    Written by `core.sync.sync_record` inside the transaction of the change, read by
    `core.sync.sync_page`. Rows are read in (txid, id) order and only once every transaction that
    could still commit a lower key has finished, so a slow transaction is never skipped."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+", db_index=False)
    resource = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    op = models.CharField(max_length=8, choices=SyncOp.choices)
    txid = models.BigIntegerField(db_default=CurrentTransactionId())
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["txid", "id"]
        indexes = [models.Index(fields=["user", "txid", "id"], name="sync_change_user_pos")]

    def __str__(self) -> str:
        return f"{self.op} {self.resource}:{self.object_id}"


class IdempotencyRecord(BaseModel):
    """The first answer to a request sent with an `Idempotency-Key` header, replayed on retries.

    Generic: `scope` names the operation (`appointments.book`, `payments.intent`, ...), `fingerprint`
    is a hash of the request body, so the same key with a different body can be refused.
    """

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "scope", "key"], name="idempotency_user_scope_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
