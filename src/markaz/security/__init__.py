"""Security pieces that are framework-free: token scopes, rate limits, submission signatures."""
