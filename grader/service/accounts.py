"""Users, roles, course membership and API tokens.

Tokens are 32 random bytes shown once; the database keeps their SHA-256 (a slow hash buys
nothing for random secrets and would cost a few ms on every API call). Revoking sets
``revoked_at``; a revoked or inactive user's token stops working on the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from grader.service.errors import AuthenticationFailed, Conflict, NotFound
from grader.service.models import ApiToken, CourseMember, Role, User, utcnow
from grader.service.passwords import hash_password, verify_password

TOKEN_PREFIX = "acad_"


@dataclass(frozen=True)
class IssuedToken:
    """A freshly created token: ``secret`` exists only here, never in the database."""

    id: int
    secret: str
    user_id: int


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role = Role.LEARNER,
    display_name: str = "",
) -> User:
    if session.exec(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"a user named {username!r} already exists")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role.value,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username)).first()


def authenticate(session: Session, username: str, password: str) -> User:
    user = find_user(session, username)
    # Verify against a dummy hash when the user is unknown so timing does not reveal names.
    stored = user.password_hash if user else _dummy_hash()
    if not verify_password(password, stored) or user is None or not user.active:
        raise AuthenticationFailed("wrong username or password")
    return user


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_hex(8)))
    return _DUMMY[0]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, user: User, name: str = "") -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_hash=_digest(secret), name=name)  # type: ignore[arg-type]
    session.add(token)
    session.flush()
    return IssuedToken(id=token.id, secret=secret, user_id=user.id)  # type: ignore[arg-type]


def user_for_token(session: Session, secret: str) -> User:
    """One query (token joined to its user): every API request signs in this way."""
    row = session.exec(
        select(User, ApiToken.revoked_at)
        .join(ApiToken, ApiToken.user_id == User.id)  # type: ignore[arg-type]
        .where(ApiToken.token_hash == _digest(secret))
    ).first()
    if row is None or row[1] is not None:
        raise AuthenticationFailed("the API token is unknown or revoked")
    user = row[0]
    if not user.active:
        raise AuthenticationFailed("the token's user is disabled")
    return user


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).where(ApiToken.user_id == user.id)))


def revoke_token(session: Session, actor: User, token_id: int) -> ApiToken:
    """Owners revoke their own tokens; admins any token."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and actor.role != Role.ADMIN):
        raise NotFound(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
    return token


def enroll(session: Session, user: User, course_id: str, role: Role | None = None) -> None:
    role = role or Role(user.role)
    member = session.get(CourseMember, (course_id, user.id))
    if member is None:
        session.add(CourseMember(course_id=course_id, user_id=user.id, role=role.value))  # type: ignore[arg-type]
    else:
        member.role = role.value
        session.add(member)


def courses_taught(session: Session, user: User) -> set[str]:
    rows = session.exec(
        select(CourseMember.course_id).where(
            CourseMember.user_id == user.id, CourseMember.role == Role.INSTRUCTOR.value
        )
    )
    return set(rows)
