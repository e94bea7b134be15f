"""Pure data of the hotline: enums, commands, case state, records and tables. No I/O here."""
