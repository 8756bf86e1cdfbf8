"""The small catalogue of elements the emulator knows: required configuration and event methods."""

from __future__ import annotations

from dataclasses import dataclass

POLLING = "polling"
WEBHOOKS = "webhooks"


@dataclass(frozen=True)
class Element:
    id: int
    key: str
    name: str
    required: tuple[str, ...] = ()
    methods: tuple[str, ...] = (POLLING, WEBHOOKS)
    default_resource: str = "contacts"

    @property
    def default_method(self) -> str:
        return self.methods[0]

    def as_ref(self) -> dict[str, object]:
        return {"id": self.id, "key": self.key, "name": self.name}


_BOTH = (POLLING, WEBHOOKS)
_BASIC = ("username", "password")

ELEMENTS: dict[str, Element] = {
    e.key: e
    for e in (
        # OAuth elements: credentials arrive as providerData or oauth.* keys, nothing is required here.
        Element(2, "hubspotcrm", "HubSpot CRM", (), _BOTH, "contacts"),
        Element(3, "sfdc", "Salesforce Sales Cloud", (), _BOTH, "contacts"),
        Element(4, "zendesk", "Zendesk", (), _BOTH, "tickets"),
        Element(5, "box", "Box", (), (WEBHOOKS,), "files"),
        Element(6, "shopify", "Shopify", (), (WEBHOOKS,), "orders"),
        Element(7, "dropbox", "Dropbox", (), (WEBHOOKS,), "files"),
        Element(8, "googledrive", "Google Drive", (), (WEBHOOKS,), "files"),
        Element(9, "quickbooks", "QuickBooks Online", (), (POLLING,), "customers"),
        Element(10, "dynamicscrmadapter", "Microsoft Dynamics CRM", (), (POLLING,), "contacts"),
        Element(11, "hubspot", "HubSpot Marketing", (), _BOTH, "contacts"),
        # Basic-authentication elements: username and password are required.
        Element(20, "closeio", "Close.io", _BASIC, (POLLING,), "leads"),
        Element(21, "freshdeskv2", "Freshdesk", _BASIC, (POLLING,), "tickets"),
        Element(22, "sugarcrmv2", "SugarCRM", _BASIC, (POLLING,), "contacts"),
        Element(23, "netsuiteerpv2", "NetSuite ERP", _BASIC, (POLLING,), "customers"),
        Element(24, "zuorav2", "Zuora", _BASIC, _BOTH, "accounts"),
    )
}


def find(key: str) -> Element | None:
    return ELEMENTS.get(key)
