"""Word lists for names and accounts. Only characters that SWIFT MT940 allows (letters, digits, space, . - ')
appear in customer names, so a name reads the same in the ERP, in camt.053 and in MT940."""

from __future__ import annotations

import random

from ingestion.generate.iban import make_iban

EUR_COUNTRIES = (
    ("DE", 35),
    ("NL", 15),
    ("FR", 14),
    ("BE", 8),
    ("AT", 8),
    ("IT", 8),
    ("ES", 6),
    ("IE", 4),
    ("FI", 2),
)
USD_COUNTRIES = (("US", 80), ("CA", 20))

_LEGAL_FORMS = {
    "DE": ("GmbH", "AG", "GmbH und Co. KG"),
    "NL": ("B.V.", "N.V."),
    "FR": ("SARL", "SA", "SAS"),
    "BE": ("BV", "NV"),
    "AT": ("GmbH", "AG"),
    "IT": ("S.r.l.", "S.p.A."),
    "ES": ("S.L.", "S.A."),
    "IE": ("Ltd", "DAC"),
    "FI": ("Oy", "Oyj"),
    "US": ("Inc.", "LLC", "Corp."),
    "CA": ("Ltd.", "Inc."),
}

_FIRST_WORDS = (
    "Alpine",
    "Baltic",
    "Blue",
    "Bright",
    "Central",
    "Coastal",
    "Delta",
    "Eastern",
    "Golden",
    "Green",
    "Harbor",
    "Iron",
    "Lake",
    "Meridian",
    "North",
    "Oak",
    "Pacific",
    "Prime",
    "Red",
    "Rhine",
    "River",
    "Silver",
    "Summit",
    "United",
    "Western",
    "Keller",
    "Janssen",
    "Moreau",
    "Rossi",
    "Garcia",
    "Novak",
    "Schmidt",
    "Peeters",
    "Virtanen",
    "Murphy",
    "O'Brien",
    "Miller",
    "Tremblay",
    "Dubois",
    "Huber",
    "Bakker",
    "Fischer",
    "Weber",
)
_SECOND_WORDS = (
    "Logistics",
    "Trading",
    "Foods",
    "Textiles",
    "Machinery",
    "Pharma",
    "Retail",
    "Electronics",
    "Packaging",
    "Chemicals",
    "Furniture",
    "Components",
    "Tools",
    "Systems",
    "Supplies",
    "Motors",
    "Paper",
    "Plastics",
    "Steel",
    "Wines",
    "Optics",
    "Medical",
    "Energy",
    "Marine",
    "Agro",
    "Print",
    "Hydraulics",
    "Instruments",
)

# BBAN layouts: "n" a digit, "a" an upper-case letter. Enough of each country's layout for a valid IBAN.
_BBAN_LAYOUTS = {
    "DE": "n" * 18,
    "NL": "aaaa" + "n" * 10,
    "FR": "n" * 23,
    "BE": "n" * 12,
    "AT": "n" * 16,
    "IT": "a" + "n" * 22,
    "ES": "n" * 20,
    "IE": "aaaa" + "n" * 14,
    "FI": "n" * 14,
}

SUPPLIERS_EUR = (
    "Stadtwerke Nord Energie",
    "Smith & Partners Logistics",
    "Rhein Chemie Rohstoffe",
    "Office World <Europe>",
    "Van Dijk Transport",
    "Kraft & Sohn Maschinenbau",
    "Euro Packaging Solutions",
    "Telekom Business Services",
)
SUPPLIERS_USD = (
    "Atlantic Freight Lines",
    "Cloud Hosting Inc.",
    "Midwest Raw Materials",
    "Pacific Components",
)
CARD_ACQUIRER = "Worldline Card Settlement"
CASH_POOL = "Cash pool concentration account"


def country(rng: random.Random, currency_code: str) -> str:
    """A customer's country: euro-area countries for EUR customers, US or Canada for USD ones."""
    table = USD_COUNTRIES if currency_code == "USD" else EUR_COUNTRIES
    return rng.choices([code for code, _ in table], weights=[weight for _, weight in table])[0]


def company_name(rng: random.Random, country_code: str) -> str:
    """A plausible company name with the country's legal form ("Golden Hydraulics GmbH")."""
    return f"{rng.choice(_FIRST_WORDS)} {rng.choice(_SECOND_WORDS)} {rng.choice(_LEGAL_FORMS[country_code])}"


def random_iban(rng: random.Random, country_code: str) -> str:
    """A valid IBAN in `country_code`'s layout (national check digits inside the BBAN are not modelled)."""
    layout = _BBAN_LAYOUTS[country_code]
    bban = "".join(
        rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") if kind == "a" else str(rng.randrange(10)) for kind in layout
    )
    return make_iban(country_code, bban)
