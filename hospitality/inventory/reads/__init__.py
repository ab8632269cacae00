"""What the stock screens read, by screen: `stock` (the stock locations, items, counts, discrepancies, an item's
ledger, recipes and the prepare page) and `consumption` (daily consumption and what a weekday usually uses)."""
