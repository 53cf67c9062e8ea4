"""The two stores behind small protocols: SQL metadata (SQLModel) and DynamoDB details."""
