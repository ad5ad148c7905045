"""Full-text search over tickets' subjects, descriptions and comments, in Chinese and English.

- :mod:`.tokens` cuts text into terms (jieba for Chinese), the same way for documents and queries;
- :mod:`.index` keeps ``ticket_search`` in step with every write, in the writing transaction,
  and rebuilds a workspace's index;
- :mod:`.query` answers a search, newest ticket first, in one statement on either database.
"""
