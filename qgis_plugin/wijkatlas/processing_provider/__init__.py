"""Processing provider of the wijkatlas plugin (one algorithm per module)."""
