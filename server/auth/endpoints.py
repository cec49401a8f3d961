"""Auth and first-run setup routes (HTTP only; rules live in AuthService)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from server.auth.schemas import (
    THROTTLED,
    ChangePasswordRequest,
    LoginRequest,
    LogoutRequest,
    Notice,
    RefreshRequest,
    ResetPasswordRequest,
    ResetRequest,
    SetupRequest,
    SetupStatus,
    TokenPair,
)
from server.auth.service import AuthService
from server.core.deps import AccountUser, SessionDep, SettingsDep, client_ip
from server.core.errors import ERROR_RESPONSES
from server.orgs.service import OrgService

router = APIRouter(tags=["auth"], responses=ERROR_RESPONSES)


@router.post("/auth/login", responses=THROTTLED, operation_id="auth-login")
def login(body: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return AuthService(session, settings).login(body.email, body.password, client_ip(request))


@router.post("/auth/refresh", operation_id="auth-refresh")
def refresh(body: RefreshRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    return AuthService(session, settings).refresh(body.refresh_token)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, operation_id="auth-logout")
def logout(
    request: Request, user: AccountUser, session: SessionDep, settings: SettingsDep, body: LogoutRequest | None = None
) -> Response:
    AuthService(session, settings).logout(user, getattr(request.state, "session_id", None), client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/change-password", status_code=status.HTTP_204_NO_CONTENT, operation_id="auth-change_password")
def change_password(
    body: ChangePasswordRequest, request: Request, user: AccountUser, session: SessionDep, settings: SettingsDep
) -> Response:
    service = AuthService(session, settings)
    service.change_password(
        user, body.current_password, body.new_password, getattr(request.state, "session_id", None), client_ip(request)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/password-reset/request", status_code=status.HTTP_202_ACCEPTED, operation_id="auth-request_password_reset"
)
def request_password_reset(body: ResetRequest, request: Request, session: SessionDep, settings: SettingsDep) -> Notice:
    mailed = AuthService(session, settings).request_reset(body.email, client_ip(request))
    if mailed:
        return Notice(detail="If this email has an account, a reset code is on its way.")
    return Notice(
        detail="This server cannot send mail. Ask an admin of your organisation for a reset code (Users → Reset password)."
    )


@router.post("/auth/password-reset", status_code=status.HTTP_204_NO_CONTENT, operation_id="auth-reset_password")
def reset_password(
    body: ResetPasswordRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> Response:
    AuthService(session, settings).reset_password(body.token, body.new_password, client_ip(request))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/setup", operation_id="setup-status")
def setup_status(session: SessionDep, settings: SettingsDep) -> SetupStatus:
    return SetupStatus(needs_setup=AuthService(session, settings).needs_setup(), mode=settings.mode)


@router.post("/setup", status_code=status.HTTP_201_CREATED, operation_id="setup-create_first_admin")
def setup(body: SetupRequest, request: Request, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """First run only: the first account (a super-admin) and its first organisation."""
    service = AuthService(session, settings)
    service.ensure_first_run()
    user = service.create_user(body.email, body.password, superuser=True)
    OrgService(session).create(body.org_name, user, ip=client_ip(request))
    service.audit.record("setup.completed", actor=user, ip=client_ip(request))
    return service.start_session(user, client_ip(request))
