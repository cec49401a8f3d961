"""All tables; importing this module registers them on Base.metadata (Alembic autogenerate reads it)."""

from server.models.base import Base
from server.models.charts import ChartRow, GeoJsonRow, MetricRow
from server.models.data import Job, OrgWarehouse, RecipeRow, Source, Upload
from server.models.runs import Notification, NotificationSetting, Pipeline, PipelineRun, RunLock, TaskRun
from server.models.security import AuditEvent, AuthSession, LoginThrottle, PasswordResetToken, RefreshToken
from server.models.tenancy import Invitation, Membership, Org, User

__all__ = [
    "AuditEvent",
    "AuthSession",
    "Base",
    "ChartRow",
    "GeoJsonRow",
    "Invitation",
    "Job",
    "LoginThrottle",
    "Membership",
    "MetricRow",
    "Notification",
    "NotificationSetting",
    "Org",
    "OrgWarehouse",
    "PasswordResetToken",
    "Pipeline",
    "PipelineRun",
    "RecipeRow",
    "RefreshToken",
    "RunLock",
    "Source",
    "TaskRun",
    "Upload",
    "User",
]
