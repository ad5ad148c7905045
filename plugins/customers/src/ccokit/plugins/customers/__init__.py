"""Customer profiles (会员通): one record per shopper across channels, with member tiers."""
