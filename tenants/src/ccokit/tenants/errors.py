"""Errors of the tenancy layer; the platform maps them to problem+json answers."""

from __future__ import annotations


class TenancyError(Exception):
    """Base of every error raised by :mod:`ccokit.tenants`."""


class TenantContextMissing(TenancyError):
    """A query touched a tenant table while no tenant was set: the data layer fails closed."""


class TenantMismatch(TenancyError):
    """A row of another tenant was about to be written through this tenant's session."""


class SlugTaken(TenancyError):
    """Another tenant already uses the slug asked for."""


class EmailTaken(TenancyError):
    """The tenant already has a member with this email."""


class TenantNotActive(TenancyError):
    """The tenant is suspended or deleted."""
