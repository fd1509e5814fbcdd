"""Independent night generator families: each from its own principles, sharing no code or number."""
