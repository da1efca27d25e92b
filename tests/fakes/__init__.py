"""Real HTTP servers that speak the model providers' wire protocols, for tests and demos."""
