"""A practice's IT infrastructure: core or additional, as the GP practice IT infrastructure
specification classes it.

The specification (GPSoC, 2007; see the source documents) divides a practice's IT into
"core", which practices are entitled to expect their commissioner (then the PCT) to fund, and
"additional", which the commissioner may fund "subject to agreement between the PCT and
practice", or which is the practice's own responsibility. Its requirements are set out under
the headings of `InfrastructureCategory`; the class of each heading is kept here, once:

- core: the equipment and services every practice needs to run its clinical system and the
  national applications: servers, PCs, monitors and printers, Microsoft Office, anti-virus,
  desktop, asset and patch management, disaster recovery and business continuity, and the
  local network (cabling, switches, routers and firewalls, the N3 connection, links from
  branch to main surgeries: the nGMS contract's clause 4.29 makes these the PCT's);
- additional: practice business applications, wireless networking, scanning and document
  management, and additional clinical applications (the source documents point PCTs to
  scanning and document management only with money left once the core is paid for).

An item's maintenance belongs to the heading of what it maintains.
"""

from __future__ import annotations

from catalogue.models import InfrastructureCategory, InfrastructureClass

_ADDITIONAL = frozenset(
    {
        InfrastructureCategory.BUSINESS_APPLICATIONS,
        InfrastructureCategory.WIRELESS_NETWORKING,
        InfrastructureCategory.SCANNING_DOCUMENT_MANAGEMENT,
        InfrastructureCategory.ADDITIONAL_CLINICAL_APPLICATIONS,
    }
)

CATEGORY_TITLES: dict[InfrastructureCategory, str] = {
    InfrastructureCategory.SERVERS: "Servers",
    InfrastructureCategory.PCS: "PCs",
    InfrastructureCategory.MONITORS: "Monitors",
    InfrastructureCategory.PRINTERS: "Printers",
    InfrastructureCategory.BUSINESS_APPLICATIONS: "Business applications",
    InfrastructureCategory.MICROSOFT_OFFICE: "Microsoft Office",
    InfrastructureCategory.ANTI_VIRUS: "Anti-virus applications",
    InfrastructureCategory.DESKTOP_ASSET_PATCH_MANAGEMENT: "Desktop, asset and patch management",
    InfrastructureCategory.DISASTER_RECOVERY: "Disaster recovery and business continuity",
    InfrastructureCategory.CABLING: "Cabling",
    InfrastructureCategory.WIRELESS_NETWORKING: "Wireless networking",
    InfrastructureCategory.SWITCHES: "Switches",
    InfrastructureCategory.ROUTERS_FIREWALLS: "Routers and firewalls",
    InfrastructureCategory.N3_CONNECTION: "N3 connections",
    InfrastructureCategory.BRANCH_LINKS: "Branch to main practice links",
    InfrastructureCategory.SCANNING_DOCUMENT_MANAGEMENT: "Scanning and document management",
    InfrastructureCategory.ADDITIONAL_CLINICAL_APPLICATIONS: "Additional clinical applications",
}


def class_of(category: InfrastructureCategory) -> InfrastructureClass:
    """The specification's class of one of its headings."""
    if category in _ADDITIONAL:
        return InfrastructureClass.ADDITIONAL
    return InfrastructureClass.CORE


def title_of(category: InfrastructureCategory) -> str:
    return CATEGORY_TITLES[category]


__all__ = ["CATEGORY_TITLES", "class_of", "title_of"]
