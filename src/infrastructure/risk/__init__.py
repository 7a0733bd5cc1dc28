"""Risk checks at checkout: the rules engine (a TOML rules file), the external scorer, and the two combined."""
