"""ccokit.tenants: tenancy and isolation.

The tenant registry, plans, members and roles, and the isolated data layer through which every
read of tenant data passes. Nothing here knows about Flask or the platform.
"""
