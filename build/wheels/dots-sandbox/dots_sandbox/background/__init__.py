"""The background path: the rows a change leaves (`changes`), settlements, webhook deliveries, their thread."""
