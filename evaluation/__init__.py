"""Service evaluation (domain §9): call records from the telephony system, the indicators with
their formulas, the department ranking, and the reports built from them."""
