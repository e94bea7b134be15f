"""SQL tables of the knowledge base's Chinese full-text search index."""
