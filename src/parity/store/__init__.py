"""Store parity: code models, Store interfaces and in-memory fallbacks follow the schema."""
