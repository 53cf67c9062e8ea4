"""Request/response models, the rules events must follow, and the cursor format: no I/O here."""
