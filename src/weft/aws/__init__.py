"""Everything that talks to AWS: sessions, error translation, discovery and one driver per kind."""
