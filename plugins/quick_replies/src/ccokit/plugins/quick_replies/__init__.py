"""Quick replies (快捷短语): a workspace's shared library of canned answers for agents."""
