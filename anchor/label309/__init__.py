"""The Label 309 standard, pure: canonical CBOR, records, validation, carriage, COSE, keys, binding."""
