"""Built-in strategies, one per module; each module registers its class on import."""
