"""Small, fully annotated example models that show shapely_nn at work."""
