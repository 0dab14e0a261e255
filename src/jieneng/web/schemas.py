"""Pydantic shapes of the accounts in the JSON API, shared by the account, users and
audit features (they make the OpenAPI document)."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

RoleName = Literal["admin", "region_admin", "region", "department", "institution", "viewer"]


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int


class ScopeOut(BaseModel):
    kind: Literal["all", "region", "department", "institution", "public"]
    region_code: str | None = None
    department_id: int | None = None
    institution_id: int | None = None


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: RoleName
    region_code: str | None
    institution_id: int | None
    is_locked: bool
    locked_until: str | None
    created_at: str | None


class MeOut(BaseModel):
    user: UserOut
    scope: ScopeOut
    scope_name: str
    can_write: bool
    capabilities: list[str] = Field(
        description="what the caller's role may do (jieneng.core.permissions; scope aside)")


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=64)
    password: str = Field(min_length=8, max_length=1024)
    role: RoleName
    display_name: str | None = Field(default=None, max_length=100)
    region_code: str | None = Field(default=None, max_length=6)
    institution: str | None = Field(
        default=None, max_length=18, description="统一社会信用代码 or institution id"
    )


class UserPatch(BaseModel):
    display_name: str | None = Field(default=None, max_length=100)
    role: RoleName | None = None
    region_code: str | None = Field(default=None, max_length=6)
    institution: str | None = Field(default=None, max_length=18)
    password: str | None = Field(default=None, min_length=8, max_length=1024)
    locked: bool | None = None


class TokenOut(BaseModel):
    id: int
    name: str
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class TokenCreated(TokenOut):
    token: str = Field(description="the secret, shown once: send it as `Authorization: Bearer …`")


class AuditOut(BaseModel):
    id: int
    at: str
    user_id: int | None
    username: str
    action: str
    object_type: str
    object_id: str | None
    before: Any = None
    after: Any = None


class StoredBriefOut(BaseModel):
    """A carrier's current record of a month (the entry form's neighbours, the year
    grid's cells)."""

    quantity: float = Field(description="quantity in the carrier's canonical unit")
    cost_yuan: float | None = Field(description="费用 cost [元]")
    entered_value: str | None = Field(description="the figure as typed")
    entered_unit: str | None = Field(description="the unit as typed")
