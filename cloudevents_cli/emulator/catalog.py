"""The catalogue of elements the emulator knows: event methods, required configuration, default poller.

Plain data copied from the public element guides (repo cloud-elements/devportal at dad3573; the path of each
entry's guide is in its comment). `methods` lists what the guide documents, the first one being what the
emulator assumes when a body gives no `event.vendor.type`. `required` holds only keys a guide's body shows for
an element that is not authenticated through OAuth (OAuth credentials come as `providerData` and `oauth.*`).
`poller` is the guide's example `event.poller.configuration` (url and idField), when it gives one.
Ids are the guides' `elementId`; the two elements no guide names have ids of the emulator's own (9000x).
`objects` marks the Salesforce family, which takes `event.objects` (a comma list) instead of a poller.
`AUTH` holds each element's authentication types, from the same guides (see its comment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

POLLING = "polling"
WEBHOOKS = "webhooks"
BOTH = (POLLING, WEBHOOKS)
P = (POLLING,)
W = (WEBHOOKS,)
BASIC = ("username", "password")
OAUTH2 = "oauth2"
AUTH_TYPE_KEY = "authentication.type"  # the instance's choice among the element's authentication types


@dataclass(frozen=True)
class Element:
    id: int
    key: str
    name: str
    methods: tuple[str, ...] = BOTH
    required: tuple[str, ...] = ()
    resource: str = "objects"  # the resource invented changes are about when nothing else says
    poller: dict[str, Any] = field(default_factory=dict)
    objects: bool = False

    @property
    def default_method(self) -> str:
        return self.methods[0]

    @property
    def default_resource(self) -> str:
        return next(iter(self.poller), self.resource)

    @property
    def auth_types(self) -> tuple[str, ...]:
        """The element's authentication types; the first is its `authentication.type`."""
        return AUTH.get(self.key, ("custom",))

    def auth_type(self, config: dict[str, str]) -> str:
        """How an instance with this configuration authenticates: the type its `authentication.type` names
        when the element has several (any case: guides write `apiKey`, samples `apikey`), else the element's."""
        chosen = (config.get(AUTH_TYPE_KEY) or "").strip().lower()
        types = self.auth_types
        return next((t for t in types if len(types) > 1 and t.lower() == chosen), types[0])

    def uses_oauth2(self, config: dict[str, str]) -> bool:
        return self.auth_type(config) == OAUTH2

    def as_ref(self) -> dict[str, object]:
        return {"id": self.id, "key": self.key, "name": self.name}


def _res(name: str, url: str, id_field: str = "id") -> dict[str, Any]:
    return {name: {"url": url, "idField": id_field}}


_GMT = "${gmtDate:yyyy-MM-dd'T'HH:mm:ss'Z'}"

_ELEMENTS = (
    # -- both polling and webhooks --------------------------------------------------------------------------
    # docs/elements/hubspot-crm/events.md -> _includes/Elements/Hubspot/events.md
    Element(168, "hubspotcrm", "HubSpot CRM", BOTH, (), "contacts",
            _res("accounts", "/hubs/crm/contacts?where=lastmodifieddate='${date}'", "vid")),
    # docs/elements/hubspot/events.md -> _includes/Elements/Hubspot/events.md
    Element(43, "hubspot", "HubSpot Marketing", BOTH, (), "contacts"),
    # docs/elements/salesforce/salesforce-events.md (event.objects, polling and webhooks)
    Element(23, "sfdc", "Salesforce Sales Cloud", BOTH, (), "Contact", objects=True),
    # docs/elements/salesforce-service-cloud/salesforce-service-cloud-events.md
    Element(29, "sfdcservicecloud", "Salesforce Service Cloud", BOTH, (), "Case", objects=True),
    # docs/elements/salesforce-files/salesforce-documents-events.md
    Element(177, "sfdcdocuments", "Salesforce Files", BOTH, (), "ContentDocument", objects=True),
    # docs/elements/salesforce-libraries/salesforce-libraries-events.md
    Element(438, "sfdclibraries", "Salesforce Libraries", BOTH, (), "ContentDocument", objects=True),
    # docs/elements/salesforce-marketing-cloud/salesforce-marketing-cloud-events.md
    Element(1357, "sfdcmarketingcloud", "Salesforce Marketing Cloud", BOTH, (), "Contact", objects=True),
    # docs/elements/zendesk/events.md (polling body without a vendor type; webhooks section)
    Element(41, "zendesk", "Zendesk", BOTH, (), "tickets", _res("users", "/hubs/helpdesk/users")),
    # docs/elements/quickbooksonline/events.md (polling and webhooks)
    Element(39, "quickbooks", "QuickBooks Online", BOTH, (), "customers"),
    # docs/elements/closeio/events.md (username, password; polling and webhook)
    Element(166, "closeio", "Close.io", BOTH, BASIC, "leads",
            _res("contacts", "/hubs/crm/contacts?where=date_updated>'${gmtDate:yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX}'")),
    # docs/elements/pipedrive/events.md (pipedrive.email, pipedrive.password; polling and webhook)
    Element(167, "pipedrive", "Pipedrive", BOTH, ("pipedrive.email", "pipedrive.password"), "contacts"),
    # docs/elements/docusign/events.md (polling and webhooks)
    Element(158, "docusign", "DocuSign", BOTH, (), "envelopes"),
    # docs/elements/marketo/events.md
    Element(85, "marketo", "Marketo", BOTH, (), "leads"),
    # docs/elements/sharefile/events.md
    Element(450, "sharefile", "Citrix ShareFile", BOTH, (), "documents"),
    # docs/elements/woocommerce-rest/events.md
    Element(2881, "woocommercerest", "WooCommerce", BOTH, (), "orders"),
    # -- polling only ---------------------------------------------------------------------------------------
    # docs/elements/googledrive/events.md ("no longer supports webhooks with Google Drive")
    Element(21, "googledrive", "Google Drive", P, (), "documents"),
    # freshconsult lib/integrations/cloud_elements/crm/dynamicscrm/dynamicscrm.json (polling, user.* keys)
    Element(90001, "dynamicscrm", "Microsoft Dynamics CRM", P, ("user.username", "user.password", "dynamics.tenant"),
            "contacts"),
    # docs/elements/dynamicscrm/events.md (the ADFS variant)
    Element(190, "dynamicscrmadfs", "Microsoft Dynamics CRM (ADFS)", P, (), "accounts"),
    # kept for existing definitions (no guide of its own); polling as docs/elements/dynamicscrm/events.md
    Element(90002, "dynamicscrmadapter", "Microsoft Dynamics CRM Adapter", P, (), "contacts"),
    # docs/elements/freshdesk/events.md (subdomain, username = API key)
    Element(491, "freshdeskv2", "Freshdesk", P, ("subdomain", "username"), "incidents",
            _res("incidents", "/hubs/helpdesk/incidents?where=updated_since='" + _GMT + "'")),
    # docs/elements/sugarcrm/events.md
    Element(170, "sugarcrmv2", "SugarCRM", P, BASIC, "users"),
    # docs/elements/netsuite-2016-erp/events.md -> _includes/Elements/netsuite/events1.md
    Element(987, "netsuiteerpv2", "NetSuite 2016 ERP", P, (), "customers"),
    # docs/elements/netsuite-2016-crm/events.md -> _includes/Elements/netsuite/events1.md
    Element(1687, "netsuitecrmv2", "NetSuite 2016 CRM", P, (), "contacts"),
    # docs/elements/stripe/events.md (username = API key, password)
    Element(475, "stripe", "Stripe", P, BASIC, "events",
            _res("events", "/hubs/payment/events?where=created >'${epoch:s}'")),
    # docs/elements/chargify/events.md
    Element(525, "chargify", "Chargify", P, ("username", "password", "site"), "customers"),
    # docs/elements/intacct/events.md
    Element(921, "intacct", "Intacct", P, ("intacct.user.id", "intacct.user.password"), "vendors"),
    # docs/elements/quickbase/events.md
    Element(1250, "quickbase", "QuickBase", P, ("quickbase.user", "quickbase.password"), "records"),
    # docs/elements/twilio-v2/events.md
    Element(503, "twiliov2", "Twilio SMS V2", P, BASIC, "messages"),
    # docs/elements/bigcommerce/events.md
    Element(274, "bigcommerce", "BigCommerce", P, (), "orders"),
    # docs/elements/bullhorn/events.md
    Element(1702, "bullhorn", "Bullhorn CRM", P, (), "candidates"),
    # docs/elements/constantcontact/events.md
    Element(3929, "constantcontact", "Constant Contact", P, (), "campaigns"),
    # docs/elements/eloqua/events.md
    Element(27, "eloqua", "Oracle Eloqua", P, (), "contacts"),
    # docs/elements/egnyte/events.md
    Element(4016, "egnyte", "Egnyte", P, (), "events"),
    # docs/elements/gmail/events.md
    Element(6409, "gmail", "Gmail", P, (), "messages"),
    # docs/elements/google-calendar/events.md
    Element(5126, "googlecalendar", "Google Calendar", P, (), "events"),
    # docs/elements/insightly/events.md
    Element(5993, "insightly", "Insightly", P, BASIC, "contacts"),
    # docs/elements/outlookemail/events.md
    Element(6410, "outlookemail", "Outlook Email", P, (), "messages"),
    # docs/elements/quickbooksenterprise/events.md
    Element(195, "quickbooksonprem", "QuickBooks Enterprise", P, (), "bills"),
    # docs/elements/revel/events.md
    Element(5125, "revel", "Revel", P, (), "employees"),
    # docs/elements/sagecrm/events.md
    Element(3641, "sagecrm", "Sage CRM", P, ("subdomain", "username", "password"), "accounts"),
    # docs/elements/servicenow/events.md
    Element(145, "servicenow", "ServiceNow", P, ("username", "password", "servicenow.subdomain"), "accounts"),
    # docs/elements/square/events.md
    Element(5124, "square", "Square", P, (), "timesheets"),
    # docs/elements/zohocrm/events.md
    Element(44, "zohocrm", "Zoho CRM", P, ("crm.zohocrm.username", "crm.zohocrm.password"), "accounts"),
    # docs/elements/saps4hanacloud/events.md
    Element(6374, "saps4hanacloud", "SAP S/4 HANA Cloud", P, BASIC, "business-partners"),
    # -- webhooks only --------------------------------------------------------------------------------------
    # docs/elements/box/events.md
    Element(22, "box", "Box", W, (), "files"),
    # docs/elements/shopify/events.md
    Element(48, "shopify", "Shopify", W, (), "orders"),
    # docs/elements/dropbox/events.md -> _includes/Elements/dropbox/events.md
    Element(1779, "dropbox", "Dropbox", W, (), "files"),
    # docs/elements/zuora/events.md ("The Zuora element supports webhooks"; username, password)
    Element(2245, "zuorav2", "Zuora", W, BASIC, "accounts"),
    # docs/elements/abbyy/abbyy-create-instance.md (its create response stores "event.vendor.type": "webhooks")
    Element(260, "abbyy", "ABBYY", W, BASIC, "files"),
    # docs/elements/github/events.md
    Element(6291, "github", "GitHub", W, (), "issues"),
    # docs/elements/greenhouse/events.md
    Element(6148, "greenhouse", "Greenhouse", W, ("api.key",), "candidates"),
    # docs/elements/mailchimp/events.md
    Element(527, "mailchimpv3", "MailChimp v3.0", W, (), "lists"),
    # docs/elements/freshbooksv2/events.md
    Element(5924, "freshbooksv2", "Freshbooks Cloud Accounting", W, (), "invoices"),
    # docs/elements/microsoftgraph/events.md
    Element(5836, "microsoftgraph", "Microsoft Graph", W, (), "messages"),
    # docs/elements/sapanywhere/events.md ("event.vendor.type": "webhook")
    Element(1468, "sapanywhere", "SAP Anywhere", W, (), "customers"),
    # docs/elements/jira/events.md (webhooks set up at JIRA); churros src/test/platform/elements/instances.js
    Element(1, "jira", "JIRA", W, (), "issues"),
    # docs/elements/helpscout/events.md
    Element(338, "helpscout", "Help Scout", W, BASIC, "conversations"),
    # docs/elements/wufoo/events.md
    Element(685, "wufoo", "Wufoo", W, BASIC, "entries"),
)  # fmt: skip

# Authentication types (repo cloud-elements/devportal at dad3573): the "Authentication" row of each guide's
# index.md, the `"authentication": {"type": ...}` of its published responses, and its authenticate.md (an
# `/oauth/url` step with `providerData.code` is OAuth 2). Several types: the instance picks one with
# `authentication.type` (docs/elements/hubspot-crm/authenticate.md: "oauth2" or "apiKey";
# docs/elements/dynamicscrm/authenticate.md: "custom" or "oauth2"; netsuite: "Basic" or "custom";
# docs/elements/zuora/index.md "Basic and Custom OAuth 2.0"; docs/elements/shopify/authenticate.md is OAuth 2 and
# private apps use basic credentials; docs/elements/quickbooksonline/index.md: OAuth 2.0 for apps created after
# July 2017, OAuth 1 before). Elements missing here authenticate with their own configuration ("custom").
_OAUTH2_ONLY = (
    "sfdc", "sfdcservicecloud", "sfdcdocuments", "sfdclibraries", "zendesk", "box", "googledrive", "dropbox",
    "marketo", "sharefile", "bullhorn", "constantcontact", "eloqua", "egnyte", "gmail", "googlecalendar",
    "outlookemail", "revel", "square", "github", "mailchimpv3", "freshbooksv2", "microsoftgraph", "sapanywhere",
)  # fmt: skip
AUTH: dict[str, tuple[str, ...]] = {
    **{key: (OAUTH2,) for key in _OAUTH2_ONLY},
    "hubspotcrm": (OAUTH2, "apiKey"),
    "hubspot": (OAUTH2, "apiKey"),
    "quickbooks": (OAUTH2, "oauth1"),
    "shopify": (OAUTH2, "basic"),
    "dynamicscrm": ("custom", OAUTH2),
    "netsuiteerpv2": ("custom", "basic"),
    "netsuitecrmv2": ("custom", "basic"),
    "zuorav2": ("basic", "custom"),
    **{key: ("basic",) for key in ("closeio", "freshdeskv2", "stripe", "chargify", "twiliov2", "bigcommerce")},
    **{key: ("basic",) for key in ("insightly", "sagecrm", "servicenow", "saps4hanacloud", "abbyy", "greenhouse")},
    **{key: ("basic",) for key in ("helpscout", "wufoo", "sugarcrmv2")},
}

ELEMENTS: dict[str, Element] = {e.key: e for e in _ELEMENTS}
_BY_ID: dict[int, Element] = {e.id: e for e in _ELEMENTS}


def find(key_or_id: str) -> Element | None:
    """An element by key, or by id (as `/elements/{keyOrId}` takes either)."""
    found = ELEMENTS.get(key_or_id)
    if found is None and key_or_id.isdigit():
        found = _BY_ID.get(int(key_or_id))
    return found
