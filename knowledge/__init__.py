"""The knowledge base (domain §8): articles and their review, Chinese search, import and export,
and what cases teach it (usage, dissatisfaction, suggestions)."""
