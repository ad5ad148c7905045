"""The customers plugin declaration: scopes, settings, tables, events, services and wiring."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from ccokit.plugins.customers.models import Base
from ccokit.plugins.customers.routes import customers, imports, tiers
from ccokit.plugins.customers.schemas.events import (
    CustomerEventSchema,
    CustomerMergedSchema,
    CustomersImportedSchema,
    CustomerTierChangedSchema,
    CustomerUpdatedSchema,
)
from ccokit.plugins.customers.schemas.settings import CustomersSettingsSchema
from ccokit.plugins.customers.services.directory import customer_tier, get_customer_ref, resolve_customer
from ccokit.plugins.customers.services.tiers import seed_ladder
from ccokit_sdk.plugin import EventType, Plugin, PluginContext, Scope, hookimpl


def setup(ctx: PluginContext) -> None:
    ctx.register_blueprint(customers.blueprint)
    ctx.register_blueprint(tiers.blueprint)
    ctx.register_blueprint(imports.blueprint)
    ctx.provide("customers.resolve", resolve_customer)
    ctx.provide("customers.get", get_customer_ref)
    ctx.provide("customers.tier", customer_tier)


class Hooks:
    """Seeds the default four-tier ladder in the workspace's language (一点牛 … 超级牛)."""

    @staticmethod
    @hookimpl
    def ccokit_tenant_provisioned(tenant_id: uuid.UUID, session: Any, plan: str, locale: str) -> None:
        seed_ladder(session, locale)


plugin = Plugin(
    name="customers",
    version="0.1.0",
    title={"en": "Customers", "zh": "会员通"},
    description={
        "en": "One profile per shopper across channels, with the merchant's member tiers.",
        "zh": "跨渠道的统一客户档案与商家会员等级。",
    },
    setup=setup,
    scopes=(
        Scope("customers:read", "Read customer profiles and the tier ladder", "agent"),
        Scope("customers:write", "Create, change, merge and import customer profiles", "agent"),
        Scope("customers:admin", "Change the tier ladder and erase customers' personal data", "admin"),
    ),
    settings_schema=CustomersSettingsSchema,
    metadata=Base.metadata,
    migrations=str(Path(__file__).parent / "migrations" / "versions"),
    hooks=Hooks,
    events=(
        EventType("customer.created", CustomerEventSchema,
                  "A customer profile was created (through the API or customers.resolve)."),
        EventType("customer.updated", CustomerUpdatedSchema,
                  "A customer's profile changed; `changed` names the fields."),
        EventType("customer.merged", CustomerMergedSchema,
                  "The profile merged_id was merged into customer_id; move records that name merged_id."),
        EventType("customer.erased", CustomerEventSchema,
                  "A customer's personal data was erased on request; anonymise what you keep about them."),
        EventType("customer.tier_changed", CustomerTierChangedSchema,
                  "A customer moved to another member tier (or out of every tier)."),
        EventType("customers.imported", CustomersImportedSchema,
                  "A CSV import of customers finished and was committed (no per-row events)."),
    ),
)
