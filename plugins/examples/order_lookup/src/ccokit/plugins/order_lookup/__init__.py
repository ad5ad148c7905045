"""Where is my order? An example plugin that asks the merchant's own order system."""
